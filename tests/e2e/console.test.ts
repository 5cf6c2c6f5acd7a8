// The console in a real headless Chromium: log in, see the fleet, a fire alarm turns its marker red
// and lists the alert, an acknowledgement made in one browser shows in another, a session ended
// elsewhere returns to the login form, the language switches, and a dim command reaches a simulated
// streetlight.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningFleet, runFleet } from '../../simulators/fleet.ts';
import { topicPrefix } from '../../src/registry/fleets.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { launchChromium } from '../helpers/browser.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
let fleet: RunningFleet;
const place = {
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.8771,
  lon: 108.3282,
  pole: null,
  zone: null,
} as const;
const fire = {
  ...place,
  id: 'ha-ma-fire-9501',
  kind: 'fire',
  name: 'Cảm biến cháy – Hội quán Phúc Kiến',
} as const;
const lamp = {
  ...place,
  lat: 15.8775,
  lon: 108.329,
  id: 'ha-ma-sl-9501',
  kind: 'streetlight',
  name: 'Đèn – Trần Phú 10',
} as const;
let fireSecret: string;

async function loggedIn(username: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
  await page.goto(app.baseUrl);
  await page.fill('#username', username);
  await page.fill('#password', testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForFunction(() => (globalThis as any).iocConsole.devices() === 2);
  return page;
}

beforeAll(async () => {
  app = await startTestApp({ LIVE_COALESCE_MS: '100' });
  await app.loginAs('operator');
  fireSecret = (await app.registry.create(fire)).secret;
  const { secret } = await app.registry.create(lamp);
  fleet = runFleet({
    mqttUrl: app.mqttUrl,
    devices: [{ id: lamp.id, kind: lamp.kind, city: lamp.city, topicPrefix: topicPrefix(lamp), secret }],
    catalog: app.catalog,
    rate: 2,
    qos: 1,
    seed: 5,
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await fleet?.stop();
  await app.close();
});

describe('operators console', { timeout: 60_000 }, () => {
  it('logs in, shows the fleet, and turns a fire alarm into a red marker and a listed alert within a second', async () => {
    const page = await loggedIn('admin');
    expect(await page.textContent('header h1')).toBe('Trung tâm điều hành thông minh');
    expect(await page.evaluate((id) => (globalThis as any).iocConsole.markerState(id), fire.id)).toBe('ok');

    const sensor = await connectDevice(app.mqttUrl, fire.id, fireSecret);
    const started = Date.now();
    await publish(
      sensor,
      `ioc/hoi-an/fire/${fire.id}/telemetry`,
      JSON.stringify({ metrics: { alarm: 1, smoke_pct: 18 } }),
    );
    await page.waitForFunction(
      (id) => (globalThis as any).iocConsole.markerState(id) === 'critical',
      fire.id,
      {
        timeout: 1_000,
      },
    );
    await page.waitForSelector('#alerts li.critical[data-state=open]', { timeout: 1_000 });
    expect(Date.now() - started).toBeLessThan(1_000);
    sensor.end(true);
    expect(await page.textContent('#alerts li.critical')).toContain(
      'Báo cháy tại Cảm biến cháy – Hội quán Phúc Kiến (Phường Hội An)',
    );
    expect(await page.textContent('#count-critical')).not.toBe('0');
    // Zoomed out, the device sits in a cluster, and the cluster is red.
    await page.evaluate('window.iocConsole.zoom(12)');
    await page.waitForSelector('.cluster-critical', { timeout: 2_000 });
  });

  it('shows an acknowledgement made in one browser in another', async () => {
    const watcher = await loggedIn('admin');
    const operator = await loggedIn('operator');
    operator.on('dialog', (dialog) => void dialog.accept('Đội PCCC đang tới / fire crew on the way'));
    const item = operator.locator('#alerts li.critical[data-state=open]').first();
    const alertId = await item.getAttribute('data-alert-id');
    await item.locator('button.alert-ack').click();
    await watcher.waitForSelector(`#alerts li[data-alert-id="${alertId}"][data-state=acknowledged]`, {
      timeout: 2_000,
    });
    const stored = await app.request('GET', `/api/v1/alerts/${alertId}`, await app.login());
    expect(stored.body.history.at(-1)).toMatchObject({
      action: 'acknowledged',
      actor: 'operator',
      note: 'Đội PCCC đang tới / fire crew on the way',
    });
  });

  it('shows a viewer no acknowledge, resolve or command controls', async () => {
    await app.loginAs('viewer');
    const page = await loggedIn('viewer');
    await page.waitForSelector('#alerts li.critical');
    expect(await page.locator('#alerts button').count()).toBe(0);
    await page.evaluate((id) => (globalThis as any).iocConsole.open(id), lamp.id);
    await page.waitForSelector('#panel-latest');
    expect(await page.locator('#send-dim').count()).toBe(0);
  });

  it('returns to the login form when the session is ended elsewhere', async () => {
    await app.loginAs('viewer');
    const page = await loggedIn('viewer');
    // The viewer logs out from another device: every session of the account ends.
    await app.request('POST', '/api/v1/auth/logout', await app.login('viewer', testAdminPassword));
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('ioc.token'))).toBeNull();
  });

  it('switches between Vietnamese and English', async () => {
    const page = await loggedIn('admin');
    expect(await page.textContent('aside h2')).toBe('Cảnh báo đang mở');
    await page.click('#lang');
    expect(await page.textContent('aside h2')).toBe('Active alerts');
    expect(await page.textContent('#logout')).toBe('Log out');
  });

  it('dims a streetlight from its panel, and the lamp obeys', async () => {
    const page = await loggedIn('operator');
    await page.evaluate((id) => (globalThis as any).iocConsole.open(id), lamp.id);
    await page.waitForSelector('#send-dim');
    await page.fill('#dim', '40');
    await page.click('#send-dim');
    await page.waitForSelector('#command-status[data-state=succeeded]', { timeout: 10_000 });
    expect(await page.textContent('#command-status')).toBe('Thiết bị đã thực hiện');
    const commands = await eventually(
      async () =>
        (await app.request('GET', `/api/v1/devices/${lamp.id}/commands`, await app.login())).body.items,
      (items: any[]) => items[0]?.state === 'succeeded',
    );
    expect(commands[0]).toMatchObject({
      name: 'set_lamp',
      args: { on: true, dim_pct: 40 },
      requestedBy: 'operator',
    });
  });
});
