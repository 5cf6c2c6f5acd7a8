// The administration area in a real headless Chromium: an admin reaches every admin page from the
// header and by its address (a reload stays on it), each with no critical or serious axe-core finding, the language switch redraws it, the way back shows
// the map; an operator and a viewer never see the way in, and the address alone opens nothing for them.
// Each page's own work is tested in its adminXxx.test.ts.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { adminPageIds, adminPageShown, loggedInConsole } from '../helpers/console.ts';

let app: TestApp;
let browser: Browser;

const loggedIn = (username: string, path = '/'): Promise<Page> =>
  loggedInConsole(browser, app.baseUrl, username, { path, viewport: { width: 1440, height: 900 } });

beforeAll(async () => {
  app = await startTestApp();
  await app.loginAs('operator');
  await app.loginAs('viewer');
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('the administration area', { timeout: 60_000 }, () => {
  it('opens from the header for an admin, names every page, and goes back to the map', async () => {
    const page = await loggedIn('admin');
    const open = page.locator('#admin-open');
    await open.waitFor({ state: 'visible' });
    expect(await open.textContent()).toBe('Quản trị');
    await open.click();
    await page.waitForSelector('#admin:not([hidden])');
    expect(await page.isHidden('#app > main')).toBe(true);
    // The map's filters are put away while an admin page shows, and come back with the map.
    expect(await page.isHidden('#filter-city')).toBe(true);
    const links = await page.locator('#admin-nav a').allTextContents();
    expect(links).toEqual([
      'Thiết bị',
      'Hồ sơ thiết bị',
      'Quy tắc cảnh báo',
      'Người dùng',
      'Thông báo và trực',
      'Tích hợp và sao lưu',
      'Nhật ký kiểm toán',
      'Tình trạng hệ thống',
    ]);
    // Every page opens: its module loads and draws something, never the "could not open" text.
    for (const id of adminPageIds) {
      await page.click(`#admin-nav a[href="#admin/${id}"]`);
      await adminPageShown(page, id);
      expect(await page.locator('#admin-page [role=alert].error').count(), id).toBe(0);
      expect(await violations(page), id).toEqual([]);
    }
    expect(await open.textContent()).toBe('Về bản đồ');
    await open.click();
    await page.waitForSelector('#app > main:not([hidden])');
    expect(await page.isHidden('#admin')).toBe(true);
    expect(await page.isVisible('#filter-city')).toBe(true);
    expect(await open.textContent()).toBe('Quản trị');
    await page.context().close();
  });

  it('keeps the page named in the address across a reload, and redraws it in English', async () => {
    const page = await loggedIn('admin', '/#admin/audit');
    await page.waitForSelector('#admin:not([hidden])');
    expect(await page.getAttribute('#admin-nav a[aria-current="page"]', 'href')).toBe('#admin/audit');
    await page.reload();
    await page.waitForSelector('#admin:not([hidden])');
    expect(await page.getAttribute('#admin-nav a[aria-current="page"]', 'href')).toBe('#admin/audit');
    await page.click('#lang');
    await page.waitForFunction(
      () =>
        (globalThis as any).document.querySelector('#admin-nav a[aria-current="page"]')?.textContent ===
        'Audit log',
    );
    expect(await page.textContent('#admin-open')).toBe('Back to the map');
    expect(await page.getAttribute('#admin-nav', 'aria-label')).toBe('Administration pages');
    await page.context().close();
  });

  it('shows no way in to an operator or a viewer, and their address alone opens nothing', async () => {
    for (const role of ['operator', 'viewer']) {
      const page = await loggedIn(role, '/#admin/users');
      await page.waitForFunction(() => (globalThis as any).iocConsole !== undefined);
      await page.waitForSelector('#app > main:not([hidden])');
      expect(await page.isHidden('#admin-open'), role).toBe(true);
      expect(await page.isHidden('#admin'), role).toBe(true);
      await page.context().close();
    }
  });
});
