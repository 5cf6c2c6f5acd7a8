// Charts people can read, in a real Chromium: a device's history on time axes with its units, 6 h to
// 30 days, several metrics on one chart, numbers written the Vietnamese way, and a CSV of what is drawn.
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertTelemetryRows } from '../../src/storage/telemetry.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { launchChromium } from '../helpers/browser.ts';

let app: TestApp;
let browser: Browser;
const sensor = {
  id: 'ha-ma-env-9901',
  kind: 'environment' as const,
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.3282,
  pole: null,
  zone: null,
  name: 'Quan trắc – Chợ Hội An',
};
const hourMs = 3600_000;

beforeAll(async () => {
  app = await startTestApp();
  await app.registry.create(sensor);
  // Twenty days of hourly readings: PM2.5 between 12.5 and 30.5, temperature 27.25 °C.
  const now = Date.now();
  const rows = {
    time: [] as Date[],
    deviceId: [] as string[],
    metric: [] as string[],
    value: [] as number[],
  };
  for (let h = 0; h < 20 * 24; h++) {
    for (const [metric, value] of [
      ['pm25', 12.5 + (h % 19)],
      ['temp_c', 27.25],
    ] as const) {
      rows.time.push(new Date(now - h * hourMs - 60_000));
      rows.deviceId.push(sensor.id);
      rows.metric.push(metric);
      rows.value.push(value);
    }
  }
  await insertTelemetryRows(app.pool, rows);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function panel(): Promise<Page> {
  const page = await (
    await browser.newContext({ viewport: { width: 1600, height: 900 }, acceptDownloads: true })
  ).newPage();
  await page.goto(app.baseUrl);
  await page.fill('#username', 'admin');
  await page.fill('#password', testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => (globalThis as any).iocConsole?.devices() === 1);
  await page.evaluate((id) => (globalThis as any).iocConsole.open(id), sensor.id);
  await page.waitForSelector('#chart-plot .uplot');
  // The chart opens on a metric the device reports; PM2.5 is the one these tests read.
  if (!(await page.isChecked('.chart-metric[value="pm25"]'))) {
    for (const box of await page.locator('.chart-metric:checked').all()) await box.uncheck();
    await page.check('.chart-metric[value="pm25"]');
    await page.waitForSelector('#chart-plot .uplot');
  }
  return page;
}

describe('device charts', { timeout: 60_000 }, () => {
  it('draws time and value axes with units, and switches to 30 days and to two metrics', async () => {
    const page = await panel();
    expect(await page.locator('#chart-plot .u-axis').count()).toBe(2);
    expect(await page.textContent('#chart-plot')).toContain('µg/m³');
    // 6 hours of hourly readings: a handful of 5-minute buckets, with Vietnamese decimals.
    expect(await page.textContent('#chart-summary')).toMatch(/\d+,5 – \d+,5 µg\/m³/);

    const thirtyDays = page.waitForResponse((r) => r.url().includes('bucket=6h'));
    await page.click('.chart-range[data-range="30d"]');
    // 30 days come from the hourly rollup, in the same buckets raw readings gave (counted below).
    expect(((await (await thirtyDays).json()) as { source: string }).source).toBe('hourly');
    await page.waitForSelector('.chart-range[data-range="30d"][aria-pressed="true"]');
    await page.waitForSelector('#chart-plot .uplot');
    await page.check('.chart-metric[value="temp_c"]');
    await page.waitForFunction(
      () => (globalThis as any).document.querySelectorAll('#chart-plot .u-axis').length === 3,
    );
    expect(await page.textContent('#chart-plot')).toContain('°C');
    expect(await page.textContent('#chart-summary')).toContain('27,25');

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#chart-csv')]);
    const csv = (await readFile((await download.path())!, 'utf8'))
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(csv[0]).toBe(
      'thời gian / time,chỉ số / metric,đơn vị / unit,tb / avg,thấp nhất / min,cao nhất / max,số đo / count',
    );
    // 20 days in 6-hour buckets, two metrics: about 80 buckets each, all counted once.
    const temps = csv.slice(1).filter((row) => row.split(',')[1] === 'temp_c');
    expect(temps.length).toBeGreaterThanOrEqual(80);
    expect(temps.length).toBeLessThanOrEqual(82);
    expect(temps.reduce((sum, row) => sum + Number(row.split(',')[6]), 0)).toBe(20 * 24);
    expect(temps[0]!.split(',')[3]).toBe('27.25');
    await page.context().close();
  });
});
