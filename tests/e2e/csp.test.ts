// The Content-Security-Policy is strict (own scripts only, own origin only), and the console and the
// API docs must still work under it: a real Chromium reports every violation, and there must be none.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { launchChromium } from '../helpers/browser.ts';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp();
  await app.registry.create({
    id: 'ha-ma-sl-9601',
    kind: 'streetlight',
    city: 'hoi-an',
    ward: 'phuong-hoi-an',
    lat: 15.8775,
    lon: 108.329,
    pole: null,
    zone: null,
    name: 'Đèn – Trần Phú 12',
  });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A page that collects CSP violations, as the browser reports them to the page itself. */
async function watchedPage(): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const page = await (await browser.newContext()).newPage();
  const logged: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) logged.push(message.text());
  });
  await page.addInitScript(() => {
    (globalThis as any).cspViolations = [];
    const doc = (globalThis as any).document;
    doc.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string }) =>
      (globalThis as any).cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  return {
    page,
    violations: async () => [...logged, ...(await page.evaluate(() => (globalThis as any).cspViolations))],
  };
}

describe('content security policy in a real browser', () => {
  it('lets the console log in and draw its live map without a single violation', async () => {
    const { page, violations } = await watchedPage();
    await page.goto(app.baseUrl);
    await page.fill('#username', 'admin');
    await page.fill('#password', testAdminPassword);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForFunction(() => (globalThis as any).iocConsole.devices() === 1);
    await page.waitForSelector('.leaflet-container');
    expect(await violations()).toEqual([]);
  });

  it('lets the API docs render without a violation', async () => {
    const { page, violations } = await watchedPage();
    await page.goto(`${app.baseUrl}/docs`);
    await page.waitForSelector('.swagger-ui .info', { timeout: 10_000 });
    expect(await violations()).toEqual([]);
  });

  it('blocks an injected inline script', async () => {
    const { page, violations } = await watchedPage();
    await page.goto(app.baseUrl);
    await page.evaluate(() => {
      const doc = (globalThis as any).document;
      const script = doc.createElement('script');
      script.textContent = '(globalThis).injected = true';
      doc.body.append(script);
    });
    await page.waitForTimeout(100);
    expect(await page.evaluate(() => (globalThis as any).injected)).toBeUndefined();
    expect((await violations()).join('\n')).toMatch(/script-src/);
  });
});
