// The admins' integrations and system health pages in a real Chromium: a feed API key created in the
// form is shown once, opens the feeds, and is refused (401) once revoked from the list; a backup run
// from the page (of an embedded install) is listed and downloads with the session's token; the
// health page shows readiness "ready" and its figures in Vietnamese formats and stops refreshing when
// left. axe finds nothing serious on either page; an operator is refused their calls.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import { embeddedConfig, startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { eventually } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function adminAt(hash: string, baseUrl = app.baseUrl): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${baseUrl}/`);
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#username', 'admin');
  await page.fill('#password', testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#admin-open:not([hidden])');
  await page.evaluate((h) => {
    (globalThis as any).location.hash = h;
  }, hash);
  return page;
}

describe('integrations page', { timeout: 180_000 }, () => {
  it('shows a new feed key once, and a revoked one is refused by the feeds', async () => {
    const page = await adminAt('#admin/integrations');
    await page.waitForSelector('#feed-keys table');
    expect(await violations(page)).toEqual([]);

    await page.fill('#feed-keys form input[name=name]', 'Sở TN&MT Tây Ninh');
    await page.click('#feed-keys form button[type=submit]');
    await page.waitForSelector('#feed-keys .once-box:not([hidden]) .secret-once');
    const key = (await page.textContent('#feed-keys .secret-once'))!.trim();
    const feed = () => app.request('GET', '/api/v1/feeds/indicators/catalog', { 'x-api-key': key });
    expect((await feed()).status).toBe(200);
    const row = '#feed-keys tr:has(td:text("Sở TN&MT Tây Ninh"))';
    expect(await page.textContent(row)).toContain('Mọi địa bàn');

    await page.click(`${row} button[aria-label="Thu hồi khoá API Sở TN&MT Tây Ninh"]`);
    await page.waitForSelector(`${row} >> text=Đã thu hồi`);
    expect((await feed()).status).toBe(401);
    expect(await page.isVisible('#admin-page a[href="#admin/notifications"]')).toBe(true);
  });

  it('creates a webhook and a provisioning key from their forms, shows the log and claims, removes both', async () => {
    const page = await adminAt('#admin/integrations');
    await page.waitForSelector('#webhooks table');
    await page.fill('#webhooks form input[name=name]', 'Trung tâm chỉ huy PCCC');
    await page.fill('#webhooks form [name=url]', 'https://pccc.example.org/ioc');
    await page.fill('#webhooks form input[name=secret]', 'a-secret-of-twenty-chars');
    await page.check('#webhooks form input[value=critical]');
    await page.click('#webhooks form button[type=submit]');
    const hook = '#webhooks tr:has(td:text("Trung tâm chỉ huy PCCC"))';
    await page.waitForSelector(hook);
    expect(await page.textContent(hook)).toContain('Khẩn cấp');
    await page.click(`${hook} button >> text=Nhật ký gửi`);
    await page.waitForSelector('#webhooks caption >> text=Các lần gửi của webhook “Trung tâm chỉ huy PCCC”');
    await page.click(`${hook} button >> text=Xoá`);
    await page.waitForSelector(hook, { state: 'detached' });
    expect((await app.request('GET', '/api/v1/webhooks', await app.login())).body.items).toEqual([]);

    await page.fill('#provisioning-keys form input[name=name]', 'lap-dat-dot-1');
    await page.selectOption('#provisioning-keys form select', 'tay-ninh');
    await page.fill('#provisioning-keys form input[type=datetime-local]', '2030-01-31T17:00');
    await page.fill('#provisioning-keys form input[name=maxClaims]', '20');
    await page.click('#provisioning-keys form button[type=submit]');
    await page.waitForSelector('#provisioning-keys .once-box:not([hidden]) .secret-once');
    const key = (await app.request('GET', '/api/v1/provisioning/keys', await app.login())).body.items[0];
    expect(key).toMatchObject({ name: 'lap-dat-dot-1', city: 'tay-ninh', maxClaims: 20, claims: 0 });
    expect(new Date(key.expiresAt).toISOString()).toBe('2030-01-31T10:00:00.000Z');
    const row = '#provisioning-keys tr:has(td:text("lap-dat-dot-1"))';
    expect(await page.textContent(row)).toContain('0 / 20');
    await page.click(`${row} button >> text=Thiết bị đã cấp phát`);
    await page.waitForSelector(
      '#provisioning-keys caption >> text=Thiết bị cấp phát bằng khoá “lap-dat-dot-1”',
    );
    expect(await violations(page)).toEqual([]);
    await page.click(`${row} button >> text=Thu hồi`);
    await page.waitForSelector(`${row} >> text=Đã thu hồi`);
  });
});

describe('backups on the integrations page', { timeout: 180_000 }, () => {
  // The default install (the embedded PostgreSQL, copied online), as tests/admin/system.test.ts backs
  // it up: the test database server is newer than the machine's pg_dump.
  let embedded: RunningApp;
  let dataDir: string;
  let base: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ioc-e2e-backup-'));
    embedded = await startApp(
      embeddedConfig(dataDir, { ADMIN_PASSWORD: testAdminPassword, INGEST_DEVICE_RATE_PER_S: '0' }),
      createLogger('silent'),
    );
    base = `http://127.0.0.1:${embedded.httpPort}`;
  }, 120_000);
  afterAll(async () => {
    await embedded?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs a backup now, lists it and downloads it with the session', async () => {
    const page = await adminAt('#admin/integrations', base);
    await page.waitForSelector('#backups table');
    expect(await page.textContent('#backups')).toContain('Chưa có bản sao lưu tốt nào.');
    await page.click('#backups button >> text=Sao lưu ngay');
    // Done either way: the file listed, or the failure told in the status line.
    await page.waitForFunction(
      () => {
        const box = (globalThis as any).document.querySelector('#backups');
        return box.dataset.running === 'false' && /ioc-|thất bại/.test(box.textContent);
      },
      undefined,
      { timeout: 120_000 },
    );
    expect(await page.textContent('#backups .backup-status')).not.toContain('thất bại');
    expect(await page.textContent('#backups')).toContain('Bản sao lưu tốt gần nhất');
    const name = (await page.textContent('#backups tbody td:first-child'))!.trim();
    expect(name).toMatch(/^ioc-.*\.tar\.gz$/);
    const token = await page.evaluate(() => (globalThis as any).sessionStorage.getItem('ioc.token'));
    const listed = (await (
      await fetch(`${base}/api/v1/backups`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as {
      items: { name: string; bytes: number; ok: boolean }[];
    };
    expect(listed.items[0]).toMatchObject({ name, ok: true });
    expect(await violations(page)).toEqual([]);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click(`#backups button[aria-label="Tải về bản sao lưu ${name}"]`),
    ]);
    expect(download.suggestedFilename()).toBe(name);
    expect((await stat((await download.path())!)).size).toBe(listed.items[0]!.bytes);
  });
});

describe('system page', { timeout: 120_000 }, () => {
  it('shows readiness and the figures in Vietnamese formats, refreshed while shown', async () => {
    const page = await adminAt('#admin/system');
    await page.waitForSelector('#system-health[data-status=ready]');
    const text = (await page.textContent('#system-health'))!;
    expect(text).toContain('Sẵn sàng (ready)');
    expect(text).toContain('Broker MQTT');
    expect(text).toMatch(/Dung lượng cơ sở dữ liệu\d+(,\d)? MB/);
    expect(text).toMatch(/Độ trễ ghi cảnh báo\d+(,\d+)? giây/);
    expect(await page.textContent('#admin-page')).toContain('/metrics');
    expect(await violations(page)).toEqual([]);

    // Refreshed every 10 s while shown; nothing more is asked once the admin has left the page.
    const calls: number[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/system/health')) calls.push(Date.now());
    });
    await eventually(
      async () => calls.length,
      (n) => n >= 1,
      15_000,
    );
    await page.evaluate(() => {
      (globalThis as any).location.hash = '';
    });
    const left = calls.length;
    // Proving that nothing happens takes one refresh period of waiting.
    await page.waitForTimeout(11_000);
    expect(calls.length).toBe(left);

    await page.click('#lang');
    await page.evaluate(() => {
      (globalThis as any).location.hash = '#admin/system';
    });
    await page.waitForSelector('#system-health >> text=Ready');
    expect(await page.textContent('#system-health')).toMatch(/Database size\d+(\.\d)? MB/);
  });

  it('is refused to an operator, who sees no administration', async () => {
    const operator = await app.loginAs('operator');
    for (const path of [
      '/api/v1/system/health',
      '/api/v1/backups',
      '/api/v1/feeds/keys',
      '/api/v1/webhooks',
      '/api/v1/provisioning/keys',
    ])
      expect((await app.request('GET', path, operator)).status, path).toBe(403);
    expect((await app.request('POST', '/api/v1/backups', operator)).status).toBe(403);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${app.baseUrl}/`);
    await page.fill('#username', 'operator');
    await page.fill('#password', testAdminPassword);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login', { state: 'hidden' });
    expect(await page.isHidden('#admin-open')).toBe(true);
  });
});
