// Usable by everyone: axe-core, injected into a real Chromium, finds no critical or serious violation
// on any console view (login, map and alerts, device panel with its chart, alert detail, wall
// display); the header's actions are reached by the keyboard alone; a fire is told by a sign and a
// word, not by red alone.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let browser: Browser;
let fireSecret: string;
const place = { city: 'hoi-an', ward: 'phuong-hoi-an', pole: null, zone: null } as const;

beforeAll(async () => {
  app = await startTestApp({ LIVE_COALESCE_MS: '100' });
  fireSecret = (
    await app.registry.create({
      ...place,
      id: 'ha-ma-fire-9961',
      kind: 'fire',
      name: 'Báo cháy – Phố cổ',
      lat: 15.877,
      lon: 108.3282,
    })
  ).secret;
  await app.registry.create({
    ...place,
    id: 'ha-ma-env-9961',
    kind: 'environment',
    name: 'Quan trắc – Phố cổ',
    lat: 15.8775,
    lon: 108.329,
  });
  const sensor = await connectDevice(app.mqttUrl, 'ha-ma-fire-9961', fireSecret);
  await publish(
    sensor,
    'ioc/hoi-an/fire/ha-ma-fire-9961/telemetry',
    JSON.stringify({ metrics: { alarm: 1 } }),
  );
  sensor.end(true);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function open(path = '/'): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1600, height: 900 } })).newPage();
  await page.goto(`${app.baseUrl}${path}`);
  await page.waitForSelector('#login:not([hidden])');
  return page;
}

async function logIn(page: Page) {
  await page.fill('#username', 'admin');
  await page.fill('#password', testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => (globalThis as any).iocConsole?.devices() === 2);
  await page.waitForSelector('#alerts li.critical');
}

describe('accessibility of every console view', { timeout: 90_000 }, () => {
  it('has no critical or serious violation on login, map, panel, chart, alert detail and wall display', async () => {
    const page = await open();
    expect(await violations(page)).toEqual([]);
    await logIn(page);
    expect(await violations(page)).toEqual([]);
    await page.evaluate(() => (globalThis as any).iocConsole.open('ha-ma-env-9961'));
    await page.waitForSelector('#chart-plot .uplot');
    expect(await violations(page)).toEqual([]);
    await page.click('#alerts li.critical a.alert-link');
    await page.waitForSelector('#alert-detail:not([hidden]) h2');
    expect(await violations(page)).toEqual([]);

    const wall = await open('/?display=1');
    await logIn(wall);
    expect(await violations(wall)).toEqual([]);
  });

  it('reaches the header actions and an alert from the keyboard alone, and tells a fire by sign and word', async () => {
    const page = await open();
    await page.focus('#username');
    await page.keyboard.type('admin');
    await page.keyboard.press('Tab');
    await page.keyboard.type(testAdminPassword);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).iocConsole?.devices() === 2);
    await page.waitForSelector('#alerts li.critical');
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(
          () =>
            (globalThis as any).document.activeElement?.id ||
            (globalThis as any).document.activeElement?.className ||
            '',
        ),
      );
    }
    for (const id of ['filter-city', 'filter-ward', 'filter-kind', 'display', 'lang', 'logout'])
      expect(reached).toContain(id);
    expect([...reached]).toContain('alert-link');
    await page.focus('#alerts li.critical a.alert-link');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#alert-detail:not([hidden])');
    expect(await page.evaluate(() => (globalThis as any).document.activeElement?.id)).toBe('detail-close');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#alert-detail', { state: 'hidden' });

    // Signs are SVG from the console's own sprite, drawn without any emoji font: a flame named for
    // screen readers and the critical octagon, beside the word.
    const item = page.locator('#alerts li.critical');
    await expect(item.locator('svg.sign-critical').isVisible()).resolves.toBe(true);
    expect(await item.locator('svg.sign-fire').getAttribute('aria-label')).toBe('Cảm biến báo cháy');
    expect(await item.textContent()).toContain('Khẩn cấp');
    await page.evaluate(() => (globalThis as any).iocConsole.show('ha-ma-fire-9961'));
    await page.waitForSelector('.fire-sign svg.sign-fire');
    expect(await page.textContent('.fire-sign')).toContain('Khẩn cấp');
    await page.waitForSelector('.fire-sign svg.sign-critical');
    // The sprite's symbol was found and drawn: the sign has the size of its text, not nothing.
    const drawn = await page.evaluate(() => {
      const use = (globalThis as any).document.querySelector('.fire-sign svg.sign-fire use');
      const box = use.getBBox();
      return box.width > 5 && box.height > 5;
    });
    expect(drawn).toBe(true);
  });
});
