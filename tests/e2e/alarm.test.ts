// Alarms that reach a person, in a real Chromium: a fire alarm sounds until acknowledged, marks the tab,
// raises one browser notification and shows what to do; a mute runs out by itself; the link
// /#alert=<id> opens the alert with its instructions, the devices on its pole and the nearest camera;
// an operator takes it, notes it and acknowledges several at once; a refused action says why, in
// Vietnamese.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceFields } from '../../src/storage/devices.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { launchChromium } from '../helpers/browser.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
const secrets = new Map<string, string>();
const base = { city: 'hoi-an', ward: 'phuong-hoi-an', zone: null } as const;
const devices: DeviceFields[] = [
  {
    ...base,
    id: 'ha-ma-fire-9801',
    kind: 'fire',
    name: 'Báo cháy – Chợ Hội An',
    lat: 15.877,
    lon: 108.3282,
    pole: 'P-9801',
  },
  {
    ...base,
    id: 'ha-ma-fire-9802',
    kind: 'fire',
    name: 'Báo cháy – Chùa Cầu',
    lat: 15.8773,
    lon: 108.3262,
    pole: null,
  },
  {
    ...base,
    id: 'ha-ma-fire-9803',
    kind: 'fire',
    name: 'Báo cháy – Hội quán Quảng Đông',
    lat: 15.8768,
    lon: 108.3279,
    pole: null,
  },
  {
    ...base,
    id: 'ha-ma-sl-9801',
    kind: 'streetlight',
    name: 'Đèn – Trần Phú 40',
    lat: 15.877,
    lon: 108.3282,
    pole: 'P-9801',
  },
  {
    ...base,
    id: 'ha-ma-cam-9801',
    kind: 'camera',
    name: 'Camera – Ngã tư Trần Phú',
    lat: 15.8772,
    lon: 108.3286,
    pole: null,
  },
];

beforeAll(async () => {
  app = await startTestApp({ LIVE_COALESCE_MS: '100' });
  await app.loginAs('operator');
  for (const device of devices) secrets.set(device.id, (await app.registry.create(device)).secret);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function operatorPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  await context.grantPermissions(['notifications'], { origin: app.baseUrl });
  const page = await context.newPage();
  // Notifications are counted where the page raises them.
  await page.addInitScript(() => {
    const shown: string[] = [];
    const Real = (globalThis as any).Notification;
    class Counted extends Real {
      constructor(title: string, options: { body: string }) {
        super(title, options);
        shown.push(options.body);
      }
    }
    Object.defineProperty(Counted, 'permission', { get: () => Real.permission });
    (globalThis as any).Notification = Counted;
    (globalThis as any).shownNotifications = shown;
  });
  await page.goto(app.baseUrl);
  await page.fill('#username', 'operator');
  await page.fill('#password', testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForFunction((n) => (globalThis as any).iocConsole?.devices() === n, devices.length);
  return page;
}

async function alarm(id: string) {
  const sensor = await connectDevice(app.mqttUrl, id, secrets.get(id)!);
  await publish(
    sensor,
    `ioc/hoi-an/fire/${id}/telemetry`,
    JSON.stringify({ metrics: { alarm: 1, smoke_pct: 22 } }),
  );
  sensor.end(true);
}

const sounding = (page: Page) => page.evaluate(() => (globalThis as any).iocConsole.sounding());

// A browser and a broker per test on a shared machine: a minute each, not the default half.
describe('alarms in the console', { timeout: 60_000 }, () => {
  it('sounds, marks the tab, notifies once and shows what to do until the fire alarm is acknowledged', async () => {
    const page = await operatorPage();
    expect(await sounding(page)).toBe(false);
    await alarm('ha-ma-fire-9801');
    await page.waitForFunction(() => (globalThis as any).iocConsole.sounding());
    expect(await page.title()).toMatch(/^\(1\) ⚠ BÁO ĐỘNG/);
    expect(await page.getAttribute('#favicon', 'href')).toBe('/console/icon-alarm.svg');
    await page.waitForFunction(() => (globalThis as any).shownNotifications.length === 1);
    expect(await page.evaluate(() => (globalThis as any).shownNotifications[0])).toContain(
      'Báo cháy – Chợ Hội An',
    );
    const item = page.locator('#alerts li.critical[data-state=open]').first();
    await item.locator('p.instructions').waitFor();
    expect(await item.locator('p.instructions').textContent()).toContain('114');
    expect(await item.textContent()).toContain('Khẩn cấp');

    // Muted for five minutes on this console; when the mute runs out the alarm sounds again.
    await page.click('#alarm-mute');
    await page.waitForFunction(() => !(globalThis as any).iocConsole.sounding());
    const until = Number(
      await page.evaluate(() => (globalThis as any).localStorage.getItem('ioc.muteUntil')),
    );
    expect(until - Date.now()).toBeGreaterThan(4 * 60_000);
    await page.evaluate(() =>
      (globalThis as any).localStorage.setItem('ioc.muteUntil', String(Date.now() - 1)),
    );
    await page.waitForFunction(() => (globalThis as any).iocConsole.sounding(), undefined, {
      timeout: 10_000,
    });

    page.once('dialog', (dialog) => void dialog.accept(''));
    await item.locator('button.alert-ack').click();
    await page.waitForFunction(() => !(globalThis as any).iocConsole.sounding());
    expect(await page.title()).toBe('IOC – Trung tâm điều hành thông minh');
    expect(await page.evaluate(() => (globalThis as any).shownNotifications.length)).toBe(1);
    await page.context().close();
  });

  it('opens an alert from its link with instructions, pole and camera; takes it, notes it, and says why a refused step failed', async () => {
    const admin = await app.login();
    const [alert] = (await app.request('GET', '/api/v1/alerts?deviceId=ha-ma-fire-9801', admin)).body.items;
    const page = await operatorPage();
    await page.goto(`${app.baseUrl}/#alert=${alert.id}`);
    await page.waitForSelector('#alert-detail:not([hidden]) #detail-instructions');
    expect(await page.textContent('#detail-instructions')).toContain('114');
    expect(await page.textContent('#detail-pole')).toContain('Đèn – Trần Phú 40');
    expect(await page.textContent('#detail-cameras')).toContain('Camera – Ngã tư Trần Phú');

    await page.click('#detail-assign');
    await page.waitForFunction(
      () => (globalThis as any).document.getElementById('detail-assignee')?.textContent === 'operator',
    );
    await page.fill('#detail-note', 'Đã gọi 114 / called 114');
    await page.click('#detail-note-form button[type=submit]');
    await page.waitForFunction(() =>
      (globalThis as any).document.getElementById('detail-timeline')?.textContent.includes('Đã gọi 114'),
    );

    // Acknowledged already (in the first test): resolving works, acknowledging again would be refused.
    await app.request('POST', `/api/v1/alerts/${alert.id}/resolve`, admin, {});
    await page.click('#detail-resolve');
    await page.waitForSelector('#toast[data-kind=error]:not([hidden])');
    expect(await page.textContent('#toast')).toBe(
      'Trạng thái đã thay đổi (có thể người khác vừa xử lý). Xem lại rồi thử lại.',
    );
    await page.context().close();
  });

  it('acknowledges several alerts at once', async () => {
    const page = await operatorPage();
    await alarm('ha-ma-fire-9802');
    await alarm('ha-ma-fire-9803');
    await page.waitForFunction(
      () =>
        (globalThis as any).document.querySelectorAll('#alerts li.critical[data-state=open]').length === 2,
    );
    for (const box of await page.locator('#alerts li.critical[data-state=open] input[type=checkbox]').all())
      await box.check();
    await page.click('#bulk-ack');
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('#alerts li[data-state=open]').length === 0,
    );
    await page.waitForFunction(() => !(globalThis as any).iocConsole.sounding());
    await page.context().close();
  });
});
