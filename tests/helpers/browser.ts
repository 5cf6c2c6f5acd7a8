// Debian's Chromium, headless, as the tests and the console measurement drive it, at the path
// globalSetup found (tests/helpers/services.ts). The flags keep it from reaching for the network and
// from first-run chores.
import { type Browser, chromium } from 'playwright-core';
import { servicePaths } from './services.ts';

export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export async function launchChromium(): Promise<Browser> {
  const { chromium: executablePath } = await servicePaths();
  return chromium.launch({ executablePath, args: chromiumFlags });
}
