// The console as a person opens it in a real Chromium: a new browser context, the page, the login
// form filled in and sent; resolves once the console shows. Browser tests log in through this.
import type { Browser, Page } from 'playwright-core';
import { testAdminPassword } from './app.ts';

export async function loggedInConsole(
  browser: Browser,
  baseUrl: string,
  username: string,
  options: {
    password?: string;
    /** Where to open (an admin page's address: `/#admin/devices`). */
    path?: string;
    viewport?: { width: number; height: number };
    /** Confirmation dialogs (delete, new secret, …) answered yes. */
    acceptDialogs?: boolean;
  } = {},
): Promise<Page> {
  const page = await (
    await browser.newContext({ viewport: options.viewport ?? { width: 1440, height: 1000 } })
  ).newPage();
  if (options.acceptDialogs) page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${baseUrl}${options.path ?? '/'}`);
  await page.fill('#username', username);
  await page.fill('#password', options.password ?? testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#app:not([hidden])');
  return page;
}

/** The administration pages, in the order the console's navigation lists them. */
export const adminPageIds = [
  'devices',
  'profiles',
  'rules',
  'users',
  'notifications',
  'integrations',
  'audit',
  'system',
] as const;

/** Waits until the admin page shown has drawn itself (loaded, something in it). */
export async function adminPageDrawn(page: Page): Promise<void> {
  await page.locator('#admin-page:not([aria-busy]) > *').first().waitFor();
}

/** Waits until the admin page `id` is the one the navigation marks and it has drawn itself. */
export async function adminPageShown(page: Page, id: string): Promise<void> {
  await page.locator(`#admin-nav a[aria-current="page"][href="#admin/${id}"]`).waitFor();
  await adminPageDrawn(page);
}
