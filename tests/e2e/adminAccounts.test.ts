// The admins' users and audit pages in a real Chromium: an operator created in the form (limited to one
// unit) logs in from another browser, sees no administration and is refused its calls; a password reset
// shows the new one once, the old one fails and the operator's session ends; the audit log filtered by
// the admin shows what they did, and its CSV export carries the same rows. axe finds nothing serious.
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { eventually } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
const operatorPassword = 'hoi-an-operator-pass-01';

beforeAll(async () => {
  app = await startTestApp();
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A fresh browser (its own session storage), logged in through the form. */
async function logIn(username: string, password: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${app.baseUrl}/`);
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => (globalThis as any).sessionStorage.getItem('ioc.token') !== null);
  await page.waitForSelector('#login', { state: 'hidden' });
  return page;
}

const tokenOf = async (page: Page) =>
  `Bearer ${await page.evaluate(() => (globalThis as any).sessionStorage.getItem('ioc.token'))}`;

describe('users page', { timeout: 120_000 }, () => {
  it('creates an operator limited to a unit, who logs in elsewhere, sees no administration and is refused it', async () => {
    const admin = await logIn('admin', testAdminPassword);
    await admin.click('#admin-open');
    await admin.click('#admin-nav a[href="#admin/users"]');
    await admin.waitForSelector('#users-list table');
    expect(await admin.textContent('#users-list table')).toContain('Quản trị viên');
    // The role select is drawn from the API's enum, with the Vietnamese names.
    const roles = await admin.$$eval('#admin-page form select[name=role] option', (os) =>
      os.map((o) => (o as any).value),
    );
    expect(roles).toEqual(expect.arrayContaining(['viewer', 'operator', 'admin']));
    expect(await violations(admin)).toEqual([]);

    await admin.fill('#admin-page form input[name=username]', 'dieu-hanh-hoi-an');
    await admin.fill('#admin-page form input[name=password]', operatorPassword);
    await admin.selectOption('#admin-page form select[name=role]', 'operator');
    await admin.check('#admin-page form .scope-widget input[type=radio][id$="-some"]');
    await admin.click('#admin-page form .scope-widget details:has(input[id$="-phuong-hoi-an"]) summary');
    await admin.check('#admin-page form .scope-widget input[id$="-phuong-hoi-an"]');
    expect(await violations(admin)).toEqual([]);
    await admin.click('#admin-page form button[type=submit]');
    await admin.waitForSelector('#users-list td >> text=dieu-hanh-hoi-an');
    const row = await admin.textContent('#admin-page tr:has(td:text("dieu-hanh-hoi-an"))');
    expect(row).toContain('Người vận hành');
    expect(row).toContain('Phường Hội An');

    const stored = await app.request('GET', '/api/v1/users', await app.login());
    expect(
      stored.body.items.find((u: { username: string }) => u.username === 'dieu-hanh-hoi-an'),
    ).toMatchObject({
      role: 'operator',
      scope: ['phuong-hoi-an'],
    });

    // An installer: the device lists appear with the role (profiles ticked from GET /profiles), the area
    // scope does not apply.
    expect(await admin.isHidden('#admin-page form .scope-widget:has(textarea)')).toBe(true);
    await admin.fill('#admin-page form input[name=username]', 'lap-dat-bao-chay');
    await admin.fill('#admin-page form input[name=password]', operatorPassword);
    await admin.selectOption('#admin-page form select[name=role]', 'installer');
    await admin.check('#admin-page form .scope-widget input[id$="-p-fire"]');
    await admin.fill('#admin-page form .scope-widget textarea', 'ha-ma-fire-0001');
    expect(await admin.isDisabled('#admin-page form .scope-widget input[id$="-some"]')).toBe(true);
    await admin.click('#admin-page form button[type=submit]');
    const refused = await admin.waitForSelector('#admin-page form .field-error:not(:empty)');
    expect(await refused.textContent()).toContain('ha-ma-fire-0001');
    await admin.fill('#admin-page form .scope-widget textarea', '');
    await admin.click('#admin-page form button[type=submit]');
    await admin.waitForSelector('#users-list td >> text=lap-dat-bao-chay');
    expect(await admin.textContent('#admin-page tr:has(td:text("lap-dat-bao-chay"))')).toContain(
      'Hồ sơ: fire',
    );
    const installer = (await app.request('GET', '/api/v1/users', await app.login())).body.items.find(
      (u: { username: string }) => u.username === 'lap-dat-bao-chay',
    );
    expect(installer).toMatchObject({ role: 'installer', devices: { profiles: ['fire'], devices: [] } });

    const operator = await logIn('dieu-hanh-hoi-an', operatorPassword);
    expect(await operator.isHidden('#admin-open')).toBe(true);
    expect(await operator.evaluate(() => (globalThis as any).sessionStorage.getItem('ioc.scope'))).toBe(
      '["phuong-hoi-an"]',
    );
    const headers = { authorization: await tokenOf(operator) };
    for (const path of ['/api/v1/users', '/api/v1/audit', '/api/v1/system/health', '/api/v1/feeds/keys'])
      expect((await app.request('GET', path, headers)).status, path).toBe(403);
    // Going to the address by hand shows the map, not the page.
    await operator.evaluate(() => {
      (globalThis as any).location.hash = '#admin/users';
    });
    expect(await operator.isHidden('#admin')).toBe(true);

    // A reset: the new password shown once; the old one fails; the operator's session has ended.
    await admin.click('#admin-page button[aria-label="Đặt lại mật khẩu của dieu-hanh-hoi-an"]');
    await admin.waitForSelector('#admin-page .once-box:not([hidden]) .secret-once');
    const fresh = (await admin.textContent('#admin-page .secret-once'))!.trim();
    expect(fresh.length).toBeGreaterThanOrEqual(12);
    const oldLogin = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      {
        username: 'dieu-hanh-hoi-an',
        password: operatorPassword,
      },
    );
    expect(oldLogin.status).toBe(401);
    expect((await app.request('GET', '/api/v1/devices', headers)).status).toBe(401);
    expect(
      (await app.request('POST', '/api/v1/auth/login', {}, { username: 'dieu-hanh-hoi-an', password: fresh }))
        .status,
    ).toBe(200);
    // Shown once: the page drawn again no longer holds it.
    await admin.evaluate(() => {
      (globalThis as any).location.hash = '#admin/audit';
    });
    await admin.evaluate(() => {
      (globalThis as any).location.hash = '#admin/users';
    });
    await admin.waitForSelector('#users-list td >> text=dieu-hanh-hoi-an');
    expect(await admin.textContent('#admin-page')).not.toContain(fresh);

    // Disabled from the list: its login is refused.
    await admin.click('#admin-page button[aria-label="Khoá tài khoản dieu-hanh-hoi-an"]');
    await admin.waitForSelector('#admin-page tr:has(td:text("dieu-hanh-hoi-an")) >> text=Đã khoá');
    expect(
      (await app.request('POST', '/api/v1/auth/login', {}, { username: 'dieu-hanh-hoi-an', password: fresh }))
        .status,
    ).toBe(401);

    // The edit view: a role change through the PATCH form, in English.
    await admin.click('#lang');
    await admin.click('#admin-page a[aria-label="Edit the role and scope of dieu-hanh-hoi-an"]');
    await admin.waitForSelector('#admin-page form select[name=role]');
    expect(await violations(admin)).toEqual([]);
    await admin.selectOption('#admin-page form select[name=role]', 'viewer');
    await admin.click('#admin-page form button[type=submit]');
    await admin.waitForSelector('#admin-page tr:has(td:text("dieu-hanh-hoi-an")) >> text=Viewer');
    expect(await admin.textContent('#admin-page tr:has(td:text("dieu-hanh-hoi-an"))')).toContain(
      'Hội An Ward',
    );
    await admin.click('#lang');
  });
});

describe('audit page', { timeout: 120_000 }, () => {
  it('filters by who did it and exports the same selection as CSV', async () => {
    const headers = await app.login();
    await app.request('POST', '/api/v1/users', headers, {
      username: 'xem-tay-ninh',
      password: 'tay-ninh-viewer-pass-1',
      role: 'viewer',
    });
    const viewer = await app.login('xem-tay-ninh', 'tay-ninh-viewer-pass-1');
    await app.request('GET', '/api/v1/users', viewer); // refused, and logged as such

    const admin = await logIn('admin', testAdminPassword);
    await admin.evaluate(() => {
      (globalThis as any).location.hash = '#admin/audit';
    });
    await admin.waitForSelector('#audit-results table');
    expect(await violations(admin)).toEqual([]);
    await admin.fill('#audit-actor', 'xem-tay-ninh');
    await admin.click('#admin-page form button[type=submit]');
    await eventually(
      async () => admin.$$eval('#audit-results tbody tr', (rows) => rows.map((r) => (r as any).textContent)),
      (rows) => rows.length > 0 && rows.every((r: string) => r.includes('xem-tay-ninh')),
    );
    const rows = await admin.$$eval('#audit-results tbody tr', (rs) => rs.map((r) => (r as any).textContent));
    expect(rows.some((r: string) => r.includes('auth.login'))).toBe(true);
    expect(rows.some((r: string) => r.includes('GET /api/v1/users') && r.includes('Bị từ chối'))).toBe(true);
    expect(rows.some((r: string) => r.includes('POST /api/v1/users'))).toBe(false);

    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.click('#admin-page button >> text=Xuất CSV'),
    ]);
    expect(download.suggestedFilename()).toBe('audit-log.csv');
    const csv = await readFile((await download.path())!, 'utf8');
    const lines = csv.trim().split('\n');
    expect(lines[0]).toContain('actor');
    expect(lines.length - 1).toBe(rows.length);
    expect(lines.slice(1).every((l) => l.includes('xem-tay-ninh'))).toBe(true);
  });
});
