// A device's own page (#admin/devices/<id>) in a real headless Chromium, against the real API, database
// and MQTT broker, with a real MQTT client connected as the device. Through the page only, an admin
// renames it (the list shows the new name), moves it to another unit (stored where no boundary holds
// its position; refused with the reason in Vietnamese where one does), changes its position (the unit
// follows it, and the page says so), issues a new secret (shown once, with the file and QR code: the
// old connection is closed, the new secret connects and publishes a reading that is stored), disables
// it (its connection is closed and refused), enables it, and deletes it after confirming (gone from the
// list; the API answers 404). Every step checks what a person sees, in Vietnamese; axe finds nothing.
import { readFile } from 'node:fs/promises';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
let admin: Record<string, string>;
let operator: Record<string, string>;
const clients: MqttClient[] = [];

const id = 'tn-env-act-01';
const square = (west: number, south: number, east: number, north: number) => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
];

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  operator = await app.loginAs('operator');
  browser = await launchChromium();
  // Phường Bình Minh has a boundary (a simplified square); the other units of Tây Ninh have none, so
  // the device's first position lies outside every boundary.
  const boundaries = await app.request('PUT', '/api/v1/places/boundaries', admin, {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { id: 'phuong-binh-minh' },
        geometry: { type: 'Polygon', coordinates: [square(106.1, 11.36, 106.16, 11.4)] },
      },
    ],
  });
  expect(boundaries.status).toBe(200);
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.end(true);
  await browser?.close();
  await app?.close();
});

/** A connected device client, with a promise that settles when the broker closes its connection. */
async function connected(secret: string) {
  const client = await connectDevice(app.mqttUrl, id, secret);
  clients.push(client);
  const closed = new Promise<void>((ok) => client.once('close', () => ok()));
  return { client, closed };
}

/** The CONNACK refusal code of a connection attempt; 0 when it was accepted. */
const connackOf = (secret: string) =>
  connectDevice(app.mqttUrl, id, secret).then(
    (client) => {
      client.end(true);
      return 0;
    },
    (error: { code?: number }) => error.code,
  );

async function loggedIn(): Promise<{ page: Page; dialogs: string[]; answer: { accept: boolean } }> {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  const dialogs: string[] = [];
  const answer = { accept: true };
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void (answer.accept ? dialog.accept() : dialog.dismiss());
  });
  await page.goto(`${app.baseUrl}/#admin/devices/${id}`);
  await page.fill('#username', 'admin');
  await page.fill('#password', testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  return { page, dialogs, answer };
}

const toast = (page: Page, text: string | RegExp) =>
  page.locator('#toast:not([hidden])', { hasText: text }).waitFor();
const fact = async (page: Page, term: string) =>
  (await page
    .locator('.dev-facts dt', { hasText: term })
    .locator('xpath=following-sibling::dd[1]')
    .first()
    .textContent()) ?? '';
const section = (page: Page, title: string) =>
  page.locator('section.dev-section', { has: page.getByRole('heading', { name: title, exact: true }) });

describe("a device's own page", { timeout: 120_000 }, () => {
  it('renames, moves, re-keys, disables, enables and deletes a connected device', async () => {
    const created = await app.request('POST', '/api/v1/devices', admin, {
      id,
      kind: 'environment',
      city: 'tay-ninh',
      ward: 'phuong-tan-ninh',
      lat: 11.3101,
      lon: 106.0982,
      name: 'Quan trắc Chợ Tây Ninh',
    });
    expect(created.status).toBe(201);
    const first = await connected(created.body.credentials.secret);

    const { page, dialogs, answer } = await loggedIn();
    await page.waitForSelector('.dev-facts');
    await page.getByRole('heading', { level: 2, name: `Thiết bị ${id}`, exact: true }).waitFor();
    expect(await fact(page, 'Đơn vị hành chính')).toBe('Phường Tân Ninh');
    expect(await violations(page)).toEqual([]);

    // Renamed: the facts and the list show the new name.
    const edit = section(page, 'Sửa tên và vị trí').locator('form');
    await edit.locator('[name=name]').fill('Quan trắc Cổng Chợ Long Hoa');
    await edit.locator('button[type=submit]').click();
    await toast(page, `Đã lưu ${id}.`);
    await page.locator('.dev-facts dd', { hasText: 'Quan trắc Cổng Chợ Long Hoa' }).waitFor();
    await page.getByRole('link', { name: '← Danh sách thiết bị' }).click();
    await page.fill('#dev-f-q', 'env-act');
    await page.click('.dev-filters button[type=submit]');
    await page.locator('.dev-count', { hasText: /^1 thiết bị$/ }).waitFor();
    expect(await page.locator('.admin-table tbody tr td:nth-child(2)').allTextContents()).toEqual([
      'Quan trắc Cổng Chợ Long Hoa',
    ]);
    await page.getByRole('link', { name: `Mở thiết bị ${id}` }).click();
    await page.waitForSelector('.dev-facts');

    // Moved where no boundary holds its position: stored.
    const move = section(page, 'Chuyển sang đơn vị khác').locator('form');
    await move.locator('select[name=ward]').selectOption('phuong-ninh-thanh');
    await move.getByRole('button', { name: 'Chuyển' }).click();
    await toast(page, `Đã chuyển ${id} sang Phường Ninh Thạnh.`);
    await page.locator('.dev-facts dd', { hasText: /^Phường Ninh Thạnh$/ }).waitFor();
    expect((await app.request('GET', `/api/v1/devices/${id}`, admin)).body.ward).toBe('phuong-ninh-thanh');

    // A new position inside Phường Bình Minh's boundary: the unit follows, and the page says so.
    await edit.locator('[name=lat]').fill('11.381');
    await edit.locator('[name=lon]').fill('106.131');
    await edit.locator('button[type=submit]').click();
    await toast(page, /nằm trong ranh giới Phường Bình Minh nên thiết bị nay thuộc đơn vị này/);
    await page.locator('.dev-facts dd', { hasText: /^Phường Bình Minh$/ }).waitFor();
    expect(await fact(page, 'Vĩ độ, Kinh độ')).toBe('11,381, 106,131');

    // Moved away from the unit whose boundary holds it: refused, the reason shown at the unit field.
    await move.locator('select[name=ward]').selectOption('phuong-tan-ninh');
    await move.getByRole('button', { name: 'Chuyển' }).click();
    const reason = move.locator('.field.invalid .field-error');
    await reason.waitFor();
    expect(await reason.textContent()).toMatch(
      /^Vị trí của thiết bị nằm trong ranh giới Phường Bình Minh, nên không chuyển sang Phường Tân Ninh được: .*Hãy sửa cả vị trí/,
    );
    expect(await fact(page, 'Đơn vị hành chính')).toBe('Phường Bình Minh');
    expect((await app.request('GET', `/api/v1/devices/${id}`, admin)).body.ward).toBe('phuong-binh-minh');
    expect(await violations(page)).toEqual([]);

    // A new secret, shown once with its file and QR code: the old connection ends, the old secret is
    // refused, the new one connects and publishes a reading that is stored.
    await page.getByRole('button', { name: 'Cấp mật khẩu mới' }).click();
    await page.waitForSelector('.once-box:not([hidden]) .secret-once');
    expect(dialogs.at(-1)).toMatch(
      new RegExp(`^Cấp mật khẩu mới cho ${id}\\? Mật khẩu cũ hết hiệu lực ngay`),
    );
    await toast(page, `Đã cấp mật khẩu mới cho ${id}.`);
    const once = page.locator('.once-box');
    expect(await once.locator('p').first().textContent()).toMatch(/^Mật khẩu chỉ hiện lần này/);
    const qr = await once.locator('img.dev-qr').getAttribute('src');
    expect(Buffer.from(qr!.split(',')[1]!, 'base64').toString()).toContain('<svg');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      once.getByRole('button', { name: 'Tải tệp JSON' }).click(),
    ]);
    const file = JSON.parse(await readFile((await download.path())!, 'utf8'));
    const secret = await once.locator('.secret-once').textContent();
    expect(file).toMatchObject({ clientId: id, username: id, password: secret });
    await first.closed;
    expect(await connackOf(created.body.credentials.secret)).toBe(4);
    const second = await connected(file.password);
    await publish(second.client, file.topics.telemetry, JSON.stringify({ metrics: { pm25: 41.5 } }));
    const stored = await eventually(
      () => app.request('GET', `/api/v1/devices/${id}`, admin),
      (res) => res.body.latest?.pm25?.value === 41.5,
    );
    expect(stored.body.latest.pm25.value).toBe(41.5);
    // Shown once: drawn again, the page has no secret, and its QR code says it holds none.
    await page.reload();
    await page.waitForSelector('.dev-facts');
    expect(await page.locator('.secret-once').count()).toBe(0);
    await section(page, 'Thông số kết nối cho người lắp đặt')
      .getByText('Mã QR này không có mật khẩu (chỉ có khi cấp mật khẩu mới).')
      .waitFor();

    // Disabled: the open connection ends and a new one is refused (not authorized).
    await page.getByRole('button', { name: 'Tạm ngừng' }).click();
    await page.getByRole('button', { name: 'Cho hoạt động lại' }).waitFor();
    expect(dialogs.at(-1)).toMatch(new RegExp(`^Tạm ngừng ${id}\\? Broker sẽ từ chối kết nối`));
    await toast(page, `Đã tạm ngừng ${id}; broker từ chối các kết nối mới của nó.`);
    expect(await fact(page, 'Trạng thái')).toMatch(
      /^Đã tạm ngừng từ \d{1,2}:\d{2}:\d{2} \d{1,2}\/\d{1,2}\/\d{4}$/,
    );
    await second.closed;
    expect(await connackOf(file.password)).toBe(5);

    // Enabled again: it connects with the secret it has.
    await page.getByRole('button', { name: 'Cho hoạt động lại' }).click();
    await page.getByRole('button', { name: 'Tạm ngừng' }).waitFor();
    await toast(page, `${id} kết nối lại được bằng mật khẩu hiện có.`);
    expect(await fact(page, 'Trạng thái')).toBe('Đang hoạt động');
    const third = await connected(file.password);

    // Delete asks first; declined, nothing happens.
    answer.accept = false;
    await page.getByRole('button', { name: 'Gỡ thiết bị' }).click();
    await eventually(
      async () => dialogs.length,
      (n) => n > 0 && dialogs.at(-1)!.startsWith(`Gỡ hẳn ${id}?`),
    );
    expect(dialogs.at(-1)).toBe(
      `Gỡ hẳn ${id}? Thiết bị không kết nối được nữa; số đo đã lưu vẫn giữ đến hạn lưu trữ.`,
    );
    expect((await app.request('GET', `/api/v1/devices/${id}`, admin)).status).toBe(200);
    expect(page.url()).toMatch(new RegExp(`#admin/devices/${id}$`));

    // Confirmed: back on the list without it, its connection closed, the API knows it no more.
    answer.accept = true;
    await page.getByRole('button', { name: 'Gỡ thiết bị' }).click();
    await toast(page, `Đã gỡ ${id}.`);
    await page.locator('.dev-count', { hasText: /^0 thiết bị$/ }).waitFor();
    expect(await page.locator('.admin-table tbody').textContent()).toBe('Chưa có mục nào.');
    await third.closed;
    expect((await app.request('GET', `/api/v1/devices/${id}`, admin)).status).toBe(404);
    expect(await violations(page)).toEqual([]);
    await page.context().close();
  });

  it('is refused to an operator by the API', async () => {
    const other = await app.request('POST', '/api/v1/devices', admin, {
      id: 'tn-env-act-02',
      kind: 'environment',
      city: 'tay-ninh',
      ward: 'phuong-tan-ninh',
      lat: 11.31,
      lon: 106.098,
      name: 'Quan trắc thử',
    });
    expect(other.status).toBe(201);
    const calls: Array<[string, string, unknown?]> = [
      ['PATCH', '/api/v1/devices/tn-env-act-02', { name: 'x' }],
      ['PATCH', '/api/v1/devices/tn-env-act-02', { city: 'tay-ninh', ward: 'phuong-binh-minh' }],
      ['POST', '/api/v1/devices/tn-env-act-02/connection'],
      ['POST', '/api/v1/devices/tn-env-act-02/disable'],
      ['POST', '/api/v1/devices/tn-env-act-02/enable'],
      ['DELETE', '/api/v1/devices/tn-env-act-02'],
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
