import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kindExamples } from '../../src/contract/examples.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { adminPageDrawn, loggedInConsole } from '../helpers/console.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
let admin: Record<string, string>;
const clients: MqttClient[] = [];
const profileId = 'flood-gauge';

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  await app.loginAs('operator');
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  for (const c of clients) c.end(true);
  await browser?.close();
  await app?.close();
});

const loggedIn = (username: string): Promise<Page> => loggedInConsole(browser, app.baseUrl, username);

describe('the device profiles page', { timeout: 90_000 }, () => {
  it('creates a profile in the form, previews its payload, and a device of it sends that payload', async () => {
    const page = await loggedIn('admin');
    await page.evaluate(() => {
      (globalThis as any).location.hash = '#admin/profiles';
    });
    await page.waitForSelector('#profiles-table');
    await adminPageDrawn(page);
    expect(await page.locator('#profiles-table tr', { hasText: 'environment' }).count()).toBe(1);
    expect(await violations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Thêm hồ sơ' }).click();
    await page.waitForSelector('form.profile-form');
    await adminPageDrawn(page);
    await page.fill('input[name="id"]', profileId);
    await page.fill('[name="name.vi"]', 'Trạm đo ngập');
    await page.fill('[name="name.en"]', 'Flood gauge');
    await page.fill('textarea[name="description.vi"]', 'Đo mực nước ngập trên mặt đường và trạng thái bơm.');
    await page.fill(
      'textarea[name="description.en"]',
      'Measures flood water on the road and the pump state.',
    );
    await page.fill('input[name="reportingIntervalS"]', '60');
    const metric = (column: string, n: number) => page.getByLabel(`${column}, chỉ số ${n}`, { exact: true });
    await metric('Mã chỉ số', 1).fill('water_level_cm');
    await metric('Tên tiếng Việt', 1).fill('Mực nước');
    await metric('Tên tiếng Anh', 1).fill('Water level');
    await metric('Đơn vị', 1).fill('cm');
    await metric('Nhỏ nhất', 1).fill('0');
    await metric('Lớn nhất', 1).fill('300');
    await page.getByRole('button', { name: 'Thêm chỉ số' }).click();
    await metric('Mã chỉ số', 2).fill('pump_on');
    await metric('Tên tiếng Việt', 2).fill('Bơm đang chạy');
    await metric('Tên tiếng Anh', 2).fill('Pump running');
    await metric('Kiểu', 2).selectOption('flag');
    await metric('Nhỏ nhất', 2).fill('0');
    await metric('Lớn nhất', 2).fill('1');
    await page.fill('textarea[name="primaryMetrics"]', 'water_level_cm');

    // The preview follows the form: the kind's topic and a value for each metric, inside its range.
    await page.waitForFunction(() =>
      (globalThis as any).document.querySelector('#profile-preview-payload')?.textContent.includes('pump_on'),
    );
    const previewTopic = (await page.textContent('#profile-preview-topic')) ?? '';
    expect(previewTopic).toBe(`ioc/{city}/${profileId}/{deviceId}/telemetry`);
    const payload = JSON.parse((await page.textContent('#profile-preview-payload')) ?? '{}');
    expect(payload.metrics).toEqual({ water_level_cm: 150, pump_on: 1 });
    expect(await violations(page)).toEqual([]);

    await page.click('form.profile-form button[type=submit]');
    await page.waitForSelector('#profiles-table');
    expect(await page.locator('#profiles-table tr', { hasText: profileId }).textContent()).toContain(
      'Trạm đo ngập',
    );
    const saved = await app.request('GET', `/api/v1/profiles/${profileId}`, admin);
    expect(saved.body).toMatchObject({
      reportingIntervalS: 60,
      primaryMetrics: ['water_level_cm'],
      metrics: { pump_on: { type: 'flag', min: 0, max: 1 }, water_level_cm: { unit: 'cm', max: 300 } },
    });
    // A shipped kind's example keeps the values of the published contract.
    const noise = await app.request('GET', '/api/v1/profiles/noise/example', admin);
    expect(noise.body).toMatchObject({
      topic: 'ioc/{city}/noise/{deviceId}/telemetry',
      payload: { metrics: kindExamples.noise.telemetry.metrics },
    });
    // The saved profile answers the same example.
    const example = await app.request('GET', `/api/v1/profiles/${profileId}/example`, admin);
    expect(example.body.payload.metrics).toEqual(payload.metrics);

    // A device of the new kind, registered through the API, publishes the previewed message.
    const registered = await app.request('POST', '/api/v1/devices', admin, {
      id: 'ha-flood-0001',
      kind: profileId,
      city: 'hoi-an',
      ward: 'phuong-hoi-an',
      lat: 15.8771,
      lon: 108.3262,
      name: 'Ngập – Bạch Đằng',
    });
    expect(registered.status).toBe(201);
    const gauge = await connectDevice(app.mqttUrl, 'ha-flood-0001', registered.body.credentials.secret);
    clients.push(gauge);
    const topic = previewTopic.replace('{city}', 'hoi-an').replace('{deviceId}', 'ha-flood-0001');
    await publish(gauge, topic, JSON.stringify(payload));
    const rows = await eventually(
      async () =>
        (
          await app.pool.query('SELECT time, metrics FROM telemetry_messages WHERE device_id = $1', [
            'ha-flood-0001',
          ])
        ).rows,
      (r) => r.length === 1,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].metrics).toEqual(payload.metrics);
    expect(rows[0].time.getTime()).toBe(Date.parse(payload.ts));

    // Edited in the same form (PUT): the reporting interval changes, the id stays.
    await page.getByRole('button', { name: 'Sửa hồ sơ Trạm đo ngập' }).click();
    await page.waitForSelector('form.profile-form');
    await adminPageDrawn(page);
    expect(await page.locator('input[name="id"]').count()).toBe(0);
    const ids = [await metric('Mã chỉ số', 1).inputValue(), await metric('Mã chỉ số', 2).inputValue()];
    expect(ids.sort()).toEqual(['pump_on', 'water_level_cm']);
    await page.waitForSelector('#profile-preview-payload');
    await page.fill('input[name="reportingIntervalS"]', '120');
    await page.click('form.profile-form button[type=submit]');
    await page.waitForSelector('#profiles-table');
    expect((await app.request('GET', `/api/v1/profiles/${profileId}`, admin)).body).toMatchObject({
      reportingIntervalS: 120,
      metrics: saved.body.metrics,
    });

    // A profile still in use is not deleted; the page says why in the reader's language.
    page.once('dialog', (dialog) => dialog.accept());
    await page.getByRole('button', { name: 'Xoá hồ sơ Trạm đo ngập' }).click();
    await page.waitForFunction(() =>
      (globalThis as any).document.querySelector('#toast')?.textContent.includes('còn 1 thiết bị'),
    );
    expect((await app.request('GET', `/api/v1/profiles/${profileId}`, admin)).status).toBe(200);
  });

  it('shows an operator no way in, and the API refuses the page’s calls to them', async () => {
    const page = await loggedIn('operator');
    expect(await page.isHidden('#admin-open')).toBe(true);
    const operator = await app.login('operator', testAdminPassword);
    const metrics = {
      level: { name: { vi: 'Mực', en: 'Level' }, unit: 'cm', type: 'number', min: 0, max: 1 },
    };
    expect((await app.request('POST', '/api/v1/profiles/example', operator, { metrics })).status).toBe(403);
    expect(
      (
        await app.request('POST', '/api/v1/profiles', operator, {
          id: 'op-kind',
          name: { vi: 'A', en: 'A' },
          description: { vi: 'A', en: 'A' },
          reportingIntervalS: 60,
          metrics,
        })
      ).status,
    ).toBe(403);
    expect((await app.request('DELETE', `/api/v1/profiles/${profileId}`, operator)).status).toBe(403);
  });
});
