// The devices page in a real headless Chromium, against the real API, database and MQTT broker: an
// admin imports a CSV of 1,000 devices with three bad rows and sees exactly those three refused with
// their line numbers; the import is all or nothing, so nothing was stored, and the fixed file stores
// all 1,000. A device registered in the form gives a credentials file with which a real MQTT client
// connects and publishes a reading that is stored; disabled, the same client is refused (CONNACK 5),
// enabled, it connects again. An operator sees no way in and the API refuses the page's calls.
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { loggedInConsole } from '../helpers/console.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
let admin: Record<string, string>;
let operator: Record<string, string>;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  operator = await app.loginAs('operator');
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const loggedIn = (username: string, path = '/'): Promise<Page> =>
  loggedInConsole(browser, app.baseUrl, username, {
    path,
    viewport: { width: 1440, height: 900 },
    acceptDialogs: true,
  });

const header = 'id,kind,city,ward,lat,lon,pole,zone,name';
const kinds = ['streetlight', 'environment', 'noise', 'waste'];
/** Row i of the fleet file; line i + 2 of the file (the header is line 1). */
const good = (i: number) =>
  `imp-${String(i).padStart(4, '0')},${kinds[i % 4]},tay-ninh,phuong-tan-ninh,${(11.3 + i / 1e6).toFixed(6)},106.0982,,,Thiết bị nhập ${i}`;
// Three rows an admin got wrong: a latitude off the globe, a profile that does not exist, no name.
const bad: Record<number, string> = {
  9: 'imp-0009,environment,tay-ninh,phuong-tan-ninh,200,106.0982,,,Sai vĩ độ',
  499: 'imp-0499,khong-co-loai-nay,tay-ninh,phuong-tan-ninh,11.3,106.0982,,,Sai loại',
  998: 'imp-0998,noise,tay-ninh,phuong-tan-ninh,11.3,106.0982,,,',
};
const file = (rows: string[]) => Buffer.from(`${[header, ...rows].join('\n')}\n`, 'utf8');

async function deviceCount(): Promise<number> {
  return (await app.request('GET', '/api/v1/devices?limit=1', admin)).body.total;
}

describe('the devices page', { timeout: 120_000 }, () => {
  it('imports 1,000 devices: three bad rows refused by line, nothing stored; fixed, all 1,000 stored', async () => {
    const before = await deviceCount();
    const page = await loggedIn('admin', '/#admin/devices');
    await page.waitForSelector('.dev-import input[type=file]');
    expect(await violations(page)).toEqual([]);

    const rows = Array.from({ length: 1_000 }, (_, i) => bad[i] ?? good(i));
    await page.setInputFiles('#dev-import-file', {
      name: 'thiet-bi.csv',
      mimeType: 'text/csv',
      buffer: file(rows),
    });
    await page.getByRole('button', { name: 'Nhập', exact: true }).click();
    await page.waitForSelector('.dev-import-result table');
    const lines = await page.locator('.dev-import-result tbody tr td:first-child').allTextContents();
    expect([...new Set(lines)]).toEqual(['11', '501', '1000']);
    const reasons = await page.locator('.dev-import-result tbody tr td:nth-child(3)').allTextContents();
    expect(reasons.every((r) => r.length > 0 && !r.includes(' / '))).toBe(true);
    expect(await page.locator('.dev-import-result p.error').textContent()).toContain('3 dòng bị từ chối');
    // All or nothing: not one of the 997 good rows was stored.
    expect(await deviceCount()).toBe(before);

    // The rows fixed, the same file again: all 1,000 stored and the secrets downloaded.
    const fixed = Array.from({ length: 1_000 }, (_, i) => good(i));
    await page.setInputFiles('#dev-import-file', {
      name: 'thiet-bi.csv',
      mimeType: 'text/csv',
      buffer: file(fixed),
    });
    const [secrets] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Nhập', exact: true }).click(),
    ]);
    const secretsCsv = await readFile((await secrets.path())!, 'utf8');
    expect(secretsCsv.trim().split('\n')).toHaveLength(1_001);
    await page.waitForSelector('.dev-import-result p:not(.error)');
    expect(await deviceCount()).toBe(before + 1_000);

    // The list finds them: a search and a filter, paged.
    await page.fill('#dev-f-q', 'imp-09');
    await page.click('.dev-filters button[type=submit]');
    await page.locator('.dev-count', { hasText: /^100 thiết bị$/ }).waitFor();
    expect(await page.locator('.pager span').textContent()).toBe('Trang 1 / 2');
    await page.selectOption('#dev-f-kind', 'noise');
    await page.click('.dev-filters button[type=submit]');
    await page.locator('.dev-count', { hasText: /^25 thiết bị$/ }).waitFor();
    const kinds = await page.locator('.admin-table tbody tr td:nth-child(3)').allTextContents();
    expect(new Set(kinds)).toEqual(new Set(['Cảm biến tiếng ồn']));
    await page.context().close();
  });

  it('registers a device whose downloaded credentials connect a real MQTT client and store a reading', async () => {
    const page = await loggedIn('admin', '/#admin/devices');
    await page.waitForSelector('.dev-create summary');
    await page.click('.dev-create summary');
    const form = page.locator('.dev-create form');
    await form.locator('[name=id]').fill('tn-env-form-01');
    await form.locator('[name=name]').fill('Quan trắc Chợ Tây Ninh');
    await form.locator('select[name=kind]').selectOption('environment');
    await form.locator('select[name=city]').selectOption('tay-ninh');
    await form.locator('select[name=ward]').selectOption('phuong-tan-ninh');
    await form.locator('[name=lat]').fill('11.3101');
    await form.locator('[name=lon]').fill('106.0982');
    await form.locator('button[type=submit]').click();
    await page.waitForSelector('.once-box:not([hidden]) .secret-once');
    const qr = await page.locator('.once-box img.dev-qr').getAttribute('src');
    expect(qr).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(qr!.split(',')[1]!, 'base64').toString()).toContain('<svg');
    expect(
      await page.locator('.once-box img.dev-qr').evaluate((img: any) => img.naturalWidth),
    ).toBeGreaterThan(0);
    expect(await violations(page)).toEqual([]);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Tải tệp JSON' }).click(),
    ]);
    const credentials = JSON.parse(await readFile((await download.path())!, 'utf8'));
    expect(credentials).toMatchObject({ clientId: 'tn-env-form-01', username: 'tn-env-form-01' });
    expect(credentials.password).toBe(await page.locator('.once-box .secret-once').textContent());

    const url = `mqtt://${credentials.host}:${credentials.port}`;
    const device = await connectDevice(url, credentials.clientId, credentials.password);
    await publish(device, credentials.topics.telemetry, JSON.stringify({ metrics: { pm25: 37.5 } }));
    device.end(true);
    const stored = await eventually(
      () => app.request('GET', '/api/v1/devices/tn-env-form-01', admin),
      (res) => res.body.latest?.pm25?.value === 37.5,
    );
    expect(stored.body.latest.pm25.value).toBe(37.5);

    // Its own page: disabled, the broker refuses it (not authorized); enabled, it connects again.
    await page.goto(`${app.baseUrl}/#admin/devices/tn-env-form-01`);
    await page.waitForSelector('.dev-facts');
    expect(await violations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Tạm ngừng' }).click();
    await page.getByRole('button', { name: 'Cho hoạt động lại' }).waitFor();
    expect(await page.locator('.dev-facts').textContent()).toContain('Đã tạm ngừng từ');
    const refused = await connectDevice(url, credentials.clientId, credentials.password).then(
      (c) => {
        c.end(true);
        return null;
      },
      (error: { code?: number }) => error,
    );
    expect(refused?.code).toBe(5);
    await page.getByRole('button', { name: 'Cho hoạt động lại' }).click();
    await page.getByRole('button', { name: 'Tạm ngừng' }).waitFor();
    (await connectDevice(url, credentials.clientId, credentials.password)).end(true);
    await page.context().close();
  });

  it('is not offered to an operator, and the API refuses an operator its calls', async () => {
    const page = await loggedIn('operator');
    expect(await page.isHidden('#admin-open')).toBe(true);
    await page.context().close();
    const csv = file([good(5000)]).toString();
    const calls: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/devices/import', { csv }],
      ['GET', '/api/v1/devices/export'],
      [
        'POST',
        '/api/v1/devices',
        {
          id: 'op-dev-1',
          kind: 'noise',
          city: 'tay-ninh',
          ward: 'phuong-tan-ninh',
          lat: 11.3,
          lon: 106.1,
          name: 'x',
        },
      ],
      ['GET', '/api/v1/devices/imp-0001/connection'],
      ['POST', '/api/v1/devices/imp-0001/connection'],
      ['POST', '/api/v1/devices/imp-0001/disable'],
      ['GET', '/api/v1/devices/imp-0001/status-history'],
      ['DELETE', '/api/v1/devices/imp-0001'],
    ];
    for (const [method, path, body] of calls) {
      expect([method, path, (await app.request(method, path, operator, body)).status]).toEqual([
        method,
        path,
        403,
      ]);
    }
  });
});
