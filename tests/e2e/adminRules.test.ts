import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { adminPageDrawn, loggedInConsole } from '../helpers/console.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
let admin: Record<string, string>;
let meter: MqttClient;
let ruleId: number;
const minute = 60_000;
const hour = 3_600_000;
const device = {
  id: 'ha-rules-noise-01',
  kind: 'noise',
  name: 'Tiếng ồn – Nguyễn Thái Học',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.8769,
  lon: 108.3279,
  pole: null,
  zone: null,
} as const;
const topic = `ioc/${device.city}/${device.kind}/${device.id}/telemetry`;
const rule = {
  name: 'Ồn lớn – Nguyễn Thái Học',
  type: 'threshold',
  metric: 'laeq_db',
  comparison: '>',
  threshold: 80,
  clearValue: 65,
  forS: 0,
  severity: 'warning',
  deviceId: device.id,
  messageVi: 'Ồn {value} {unit} tại {name}',
  messageEn: 'Noise {value} {unit} at {name}',
};
// Twenty hours ago, one reading a minute: 75 dBA twice, each followed by quiet. Under 80 nothing
// opens; under 70 (clearing at 65) each loud minute opens one alert and the next quiet one clears it.
const T = Math.floor((Date.now() - 20 * hour) / minute) * minute;
const history: Array<[number, number]> = [
  [0, 75],
  [1, 75],
  [2, 60],
  [3, 60],
  [10, 76],
  [11, 60],
];
const live = 74;

const stored = async () =>
  (
    await app.pool.query('SELECT count(*)::int AS n FROM telemetry_messages WHERE device_id = $1', [
      device.id,
    ])
  ).rows[0].n as number;
const ruleAlerts = async () =>
  (await app.pool.query('SELECT count(*)::int AS n FROM alerts WHERE rule_id = $1', [ruleId])).rows[0]
    .n as number;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  await app.loginAs('operator');
  const created = await app.request('POST', '/api/v1/rules', admin, rule);
  expect(created.status).toBe(201);
  ruleId = created.body.id;
  const { secret } = await app.registry.create(device);
  meter = await connectDevice(app.mqttUrl, device.id, secret);
  const backlog = history.map(([m, laeq]) => ({ ts: T + m * minute, metrics: { laeq_db: laeq } }));
  await publish(meter, topic, JSON.stringify(backlog));
  await eventually(stored, (n) => n === history.length);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  meter?.end(true);
  await browser?.close();
  await app?.close();
});

const loggedIn = (username: string): Promise<Page> => loggedInConsole(browser, app.baseUrl, username);

describe('the alert rules page', { timeout: 90_000 }, () => {
  it('edits a threshold in the form, dry-runs it over the last day, and the next live reading opens an alert', async () => {
    // The reading that the rule as stored lets pass.
    await publish(meter, topic, JSON.stringify({ metrics: { laeq_db: live } }));
    await eventually(stored, (n) => n === history.length + 1);
    expect(await ruleAlerts()).toBe(0);

    const page = await loggedIn('admin');
    await page.evaluate(() => {
      (globalThis as any).location.hash = '#admin/rules';
    });
    await page.waitForSelector('#rules-table');
    await adminPageDrawn(page);
    const row = page.locator('#rules-table tr', { hasText: rule.name });
    expect(await row.textContent()).toContain('thiết bị ha-rules-noise-01');
    expect(await violations(page)).toEqual([]);

    // Turned off and on again from the list.
    const enabled = page.getByRole('checkbox', { name: `Bật quy tắc ${rule.name}` });
    await enabled.uncheck();
    await eventually(
      async () => (await app.request('GET', `/api/v1/rules/${ruleId}`, admin)).body.enabled,
      (on) => on === false,
    );
    await page.waitForFunction(
      () => !(globalThis as any).document.querySelector('#rules-table input:disabled'),
    );
    await enabled.check();
    expect(
      await eventually(
        async () => (await app.request('GET', `/api/v1/rules/${ruleId}`, admin)).body.enabled,
        (on) => on === true,
      ),
    ).toBe(true);

    await page.getByRole('button', { name: `Sửa quy tắc ${rule.name}` }).click();
    await page.waitForSelector('form.rule-form');
    await adminPageDrawn(page);
    expect(await page.inputValue('input[name="threshold"]')).toBe('80');
    expect(await page.locator('select:has(option[value="rate_of_rise"])').inputValue()).toBe('threshold');
    expect(await violations(page)).toEqual([]);

    await page.fill('input[name="threshold"]', '70');
    const tried = page.waitForRequest((r) => r.url().includes(`/api/v1/rules/${ruleId}/dry-run`));
    await page.click('#rule-dry-run-button');
    // A saved rule is tried with what changed in its form.
    expect((await tried).postDataJSON()).toEqual({ threshold: 70 });
    // Two loud minutes in the history, and the live reading: three alerts under 70.
    await page.waitForSelector('#rule-dry-run .dry-run-count');
    expect(await page.textContent('#rule-dry-run .dry-run-count')).toBe(
      'Trong 24 giờ qua, quy tắc này sẽ mở 3 cảnh báo.',
    );
    const deviceRow = page.locator('#rule-dry-run tbody tr');
    expect(await deviceRow.count()).toBe(1);
    expect(await deviceRow.textContent()).toContain(device.name);
    expect(await deviceRow.locator('li').count()).toBe(3);
    expect(await page.textContent('#rule-dry-run')).toContain('Chưa lưu');
    expect(await violations(page)).toEqual([]);
    // Nothing was saved by trying.
    expect((await app.request('GET', `/api/v1/rules/${ruleId}`, admin)).body.threshold).toBe(80);
    expect(await ruleAlerts()).toBe(0);

    await page.click('form.rule-form button[type=submit]');
    await page.waitForSelector('#rules-table');
    expect((await app.request('GET', `/api/v1/rules/${ruleId}`, admin)).body.threshold).toBe(70);

    // The same reading as before, from the real device, now opens an alert (the engine reloads the
    // rules on the change; the reading is sent again until the new rule has judged one).
    const opened = await eventually(
      async () => {
        await publish(meter, topic, JSON.stringify({ metrics: { laeq_db: live } }));
        return ruleAlerts();
      },
      (n) => n >= 1,
      10_000,
    );
    expect(opened).toBe(1);
    const alert = await app.pool.query('SELECT value, state FROM alerts WHERE rule_id = $1', [ruleId]);
    expect(alert.rows[0]).toMatchObject({ value: live, state: 'open' });
  });

  it('shows an operator no way in, and the API refuses the page’s calls to them', async () => {
    const page = await loggedIn('operator');
    expect(await page.isHidden('#admin-open')).toBe(true);
    const operator = await app.login('operator', testAdminPassword);
    const put = await app.request('PUT', `/api/v1/rules/${ruleId}`, operator, { ...rule, threshold: 50 });
    expect(put.status).toBe(403);
    expect((await app.request('PATCH', `/api/v1/rules/${ruleId}`, operator, { enabled: false })).status).toBe(
      403,
    );
    expect((await app.request('POST', '/api/v1/rules/dry-run', operator, rule)).status).toBe(403);
    expect((await app.request('DELETE', `/api/v1/rules/${ruleId}`, operator)).status).toBe(403);
    expect((await app.request('GET', `/api/v1/rules/${ruleId}`, admin)).body.threshold).toBe(70);
  });
});
