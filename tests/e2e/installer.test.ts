import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterReasons } from '../../src/errors.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
const place = { city: 'hoi-an', ward: 'phuong-hoi-an', pole: null, zone: null, lat: 15.877, lon: 108.328 };
const sensor = { ...place, id: 'ha-aq-9961', kind: 'environment', name: 'Không khí – Phố cổ' } as const;
const lamp = { ...place, id: 'ha-sc-sl-9962', kind: 'streetlight', name: 'Đèn – Nguyễn Huệ' } as const;

beforeAll(async () => {
  app = await startTestApp();
  const admin = await app.login();
  const secrets = new Map<string, string>();
  for (const d of [sensor, lamp]) secrets.set(d.id, (await app.registry.create(d)).secret);
  const created = await app.request('POST', '/api/v1/users', admin, {
    username: 'vendor.air',
    password: testAdminPassword,
    role: 'installer',
    devices: { profiles: ['environment'] },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);

  const air = await connectDevice(app.mqttUrl, sensor.id, secrets.get(sensor.id));
  await publish(air, `ioc/hoi-an/environment/${sensor.id}/status`, JSON.stringify({ online: true }));
  await publish(
    air,
    `ioc/hoi-an/environment/${sensor.id}/telemetry`,
    JSON.stringify({ metrics: { pm25: 12.5 } }),
  );
  await publish(
    air,
    `ioc/hoi-an/environment/${sensor.id}/telemetry`,
    JSON.stringify({ metrics: { pm25: -5 } }),
  );
  air.end(true);
  const light = await connectDevice(app.mqttUrl, lamp.id, secrets.get(lamp.id));
  await publish(light, `ioc/hoi-an/streetlight/${lamp.id}/telemetry`, '{not json');
  light.end(true);
  await eventually(
    () => app.request('GET', '/api/v1/dead-letters', admin),
    (r) => r.body.items.length >= 2,
  );
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('the installer page', { timeout: 90_000 }, () => {
  it('shows its device and the refusal reason in Vietnamese, nothing of another device, and passes axe', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(app.baseUrl);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#username', 'vendor.air');
    await page.fill('#password', testAdminPassword);
    await page.click('#login button[type=submit]');

    await page.waitForSelector(`#installer tr[data-device="${sensor.id}"]`);
    expect(await page.textContent('#installer h1')).toBe('Thiết bị của tôi');
    expect(await page.isHidden('#app')).toBe(true);
    const row = (await page.textContent(`#installer tr[data-device="${sensor.id}"]`)) ?? '';
    expect(row).toContain('Không khí – Phố cổ');
    expect(row).toContain('Trạm quan trắc môi trường'); // its profile by name, not by id
    expect(row).toContain('Trực tuyến');
    expect(row).toContain('pm25 = 12,5'); // the latest message, with the Vietnamese decimal mark

    const refusal = (await page.textContent('#installer tr[data-refusal]')) ?? '';
    expect(refusal).toContain('Ngoài dải đo');
    expect(refusal).toContain('Giá trị nằm ngoài dải đo của cảm biến');
    expect(await page.locator('#installer tr[data-refusal]').count()).toBe(1);
    const text = (await page.textContent('#installer')) ?? '';
    expect(text).not.toContain(lamp.id);
    expect(text).not.toContain('{not json');

    expect(await violations(page)).toEqual([]);

    await page.click('#installer button[data-action="lang"]');
    await page.waitForFunction(
      () => (globalThis as any).document.querySelector('#installer h1')?.textContent === 'My devices',
    );
    const english = (await page.textContent('#installer tr[data-refusal]')) ?? '';
    expect(english).toContain('Out of range');
    expect(english).toContain("outside the sensor's measuring range");
    expect(await violations(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('names every dead-letter reason in both languages', async () => {
    // The browser's module, loaded as it is served (plain JavaScript, no types).
    const table = new URL('../../dashboards/console/installer/installer.strings.js', import.meta.url);
    const { strings } = (await import(table.href)) as {
      strings: Record<'vi' | 'en', Record<string, string>>;
    };
    for (const reason of deadLetterReasons)
      for (const lang of ['vi', 'en'] as const)
        expect(strings[lang][`installerReason_${reason}`], `${lang} ${reason}`).toBeTruthy();
  });
});
