// The wall display in a real Chromium: read-only and large even for an admin, and a session that
// renews itself before its token runs out and keeps the live link with the new token.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { launchChromium } from '../helpers/browser.ts';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  // One-minute tokens: the display renews at half their life.
  app = await startTestApp({ JWT_TTL_S: '60' });
  await app.registry.create({
    id: 'ha-ma-sl-9951',
    kind: 'streetlight',
    city: 'hoi-an',
    ward: 'phuong-hoi-an',
    lat: 15.8775,
    lon: 108.329,
    pole: null,
    zone: null,
    name: 'Đèn – Bạch Đằng 5',
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('wall display', () => {
  it('shows without controls, renews its session before the token ends and reconnects with the new one', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
    await page.goto(`${app.baseUrl}/?display=1`);
    await page.fill('#username', 'admin');
    await page.fill('#password', testAdminPassword);
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => (globalThis as any).iocConsole?.devices() === 1);
    expect(await page.evaluate(() => (globalThis as any).document.body.classList.contains('display'))).toBe(
      true,
    );
    expect(await page.isVisible('#filter-city')).toBe(false);
    expect(await page.isVisible('#logout')).toBe(false);
    const first = await page.evaluate(() => (globalThis as any).sessionStorage.getItem('ioc.token'));

    await page.waitForFunction(
      (old) => (globalThis as any).sessionStorage.getItem('ioc.token') !== old,
      first,
      { timeout: 45_000, polling: 500 },
    );
    const renewed = await page.evaluate(() => (globalThis as any).sessionStorage.getItem('ioc.token'));
    expect((await app.request('GET', '/api/v1/devices', { authorization: `Bearer ${renewed}` })).status).toBe(
      200,
    );

    await page.evaluate(() => (globalThis as any).iocConsole.reconnect());
    await page.waitForFunction(
      () => (globalThis as any).document.getElementById('live-status').textContent === 'Đã kết nối trực tiếp',
    );
    expect(await page.isVisible('#login')).toBe(false);
  }, 90_000);
});
