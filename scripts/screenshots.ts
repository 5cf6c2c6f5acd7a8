// npx tsx scripts/screenshots.ts: the console's pictures in docs/ (console-first-view, console-fire-alarm,
// console-chart, console-display) and docs/screenshots/ (console-signs, and admin-<page> for every
// administration page), taken in headless Chromium from a fresh IOC with devices in both cities, a fire
// alarm and a day of readings, so the documentation shows what the code does today.
import { startMeasuredApp } from './measured-app.ts';

const { launchChromium } = await import('../tests/helpers/browser.ts');
const { connectDevice, publish } = await import('../tests/helpers/mqtt.ts');
const { adminPageIds, adminPageShown } = await import('../tests/helpers/console.ts');
const { insertTelemetryRows } = await import('../src/storage/telemetry.ts');
const measured = await startMeasuredApp('screenshots', { LIVE_COALESCE_MS: '100' });
const { app } = measured;
const base = `http://127.0.0.1:${app.httpPort}`;

const devices = [
  {
    id: 'ha-ma-fire-0001',
    kind: 'fire',
    city: 'hoi-an',
    ward: 'phuong-hoi-an',
    lat: 15.8771,
    lon: 108.3282,
    pole: 'HA-TP-12',
    name: 'Báo cháy – Hội quán Phúc Kiến',
  },
  {
    id: 'ha-ma-sl-0001',
    kind: 'streetlight',
    city: 'hoi-an',
    ward: 'phuong-hoi-an',
    lat: 15.8771,
    lon: 108.3283,
    pole: 'HA-TP-12',
    name: 'Đèn – Trần Phú 12',
  },
  {
    id: 'ha-ma-cam-0001',
    kind: 'camera',
    city: 'hoi-an',
    ward: 'phuong-hoi-an',
    lat: 15.8769,
    lon: 108.3271,
    pole: null,
    name: 'Camera – Chùa Cầu',
  },
  {
    id: 'ha-ma-env-0001',
    kind: 'environment',
    city: 'hoi-an',
    ward: 'phuong-hoi-an-dong',
    lat: 15.8805,
    lon: 108.3361,
    pole: null,
    name: 'Quan trắc – Cẩm Châu',
  },
  {
    id: 'ha-ma-sl-0002',
    kind: 'streetlight',
    city: 'hoi-an',
    ward: 'phuong-hoi-an-tay',
    lat: 15.8972,
    lon: 108.3262,
    pole: null,
    name: 'Đèn – Hùng Vương 80',
  },
  {
    id: 'tn-sl-0001',
    kind: 'streetlight',
    city: 'tay-ninh',
    ward: 'phuong-tan-ninh',
    lat: 11.3164,
    lon: 106.1043,
    pole: null,
    name: 'Đèn – 30 Tháng 4',
  },
  {
    id: 'tn-env-0001',
    kind: 'environment',
    city: 'tay-ninh',
    ward: 'phuong-binh-minh',
    lat: 11.3813,
    lon: 106.1315,
    pole: null,
    name: 'Quan trắc – Bình Minh',
  },
] as const;
const secrets = new Map<string, string>();
for (const d of devices) secrets.set(d.id, (await app.registry.create({ ...d, zone: null })).secret);
// A day of readings for the chart: PM2.5 and temperature every 10 minutes.
const rows = { time: [] as Date[], deviceId: [] as string[], metric: [] as string[], value: [] as number[] };
for (let i = 0; i < 6 * 24; i++) {
  const time = new Date(Date.now() - i * 600_000);
  const hour = (time.getUTCHours() + 7) % 24;
  for (const [metric, value] of [
    ['pm25', 18 + 14 * Math.sin(((hour - 4) / 24) * 2 * Math.PI) + (i % 7)],
    ['temp_c', 27 + 4 * Math.sin(((hour - 9) / 24) * 2 * Math.PI)],
  ] as const) {
    rows.time.push(time);
    rows.deviceId.push('ha-ma-env-0001');
    rows.metric.push(metric);
    rows.value.push(Math.round(value * 10) / 10);
  }
}
await insertTelemetryRows(app.pool, rows);

const browser = await launchChromium();
const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
const page = await context.newPage();
const shot = (name: string) => page.screenshot({ path: `docs/console-${name}.png` });
await page.goto(base);
await page.fill('#username', 'admin');
await page.fill('#password', 'measurement-password');
await page.click('#login button[type=submit]');
await page.waitForFunction((n) => (globalThis as any).iocConsole?.devices() === n, devices.length);
await page.waitForTimeout(1_500); // tiles and labels settle; a picture, not an assertion
await shot('first-view');

const sensor = await connectDevice(
  `mqtt://127.0.0.1:${app.mqttPort}`,
  'ha-ma-fire-0001',
  secrets.get('ha-ma-fire-0001')!,
);
await publish(
  sensor,
  'ioc/hoi-an/fire/ha-ma-fire-0001/telemetry',
  JSON.stringify({ metrics: { alarm: 1, smoke_pct: 21 } }),
);
sensor.end(true);
await page.waitForSelector('#alerts li.critical');
await page.waitForTimeout(500);
await page.screenshot({ path: 'docs/screenshots/console-signs.png' });
await page.click('#alerts li.critical a.alert-link');
await page.waitForSelector('#alert-detail:not([hidden]) #detail-instructions');
await shot('fire-alarm');
await page.click('#detail-close');

await page.evaluate(() => (globalThis as any).iocConsole.open('ha-ma-env-0001'));
await page.waitForSelector('#chart-plot .uplot');
if (!(await page.isChecked('.chart-metric[value="pm25"]'))) await page.check('.chart-metric[value="pm25"]');
await page.check('.chart-metric[value="temp_c"]');
await page.click('.chart-range[data-range="24h"]');
await page.waitForSelector('.chart-range[data-range="24h"][aria-pressed="true"]');
await page.waitForSelector('#chart-plot .uplot');
await page.locator('#chart-plot').scrollIntoViewIfNeeded();
await page.waitForTimeout(500);
await shot('chart');

// The administration pages as an admin first meets them on this install (a change of the address's
// hash: the same page, no reload).
for (const id of adminPageIds) {
  await page.goto(`${base}/#admin/${id}`);
  await adminPageShown(page, id);
  await page.waitForTimeout(700); // lists fill in; a picture, not an assertion
  await page.screenshot({ path: `docs/screenshots/admin-${id}.png` });
}
await page.goto(`${base}/#`);

const wall = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
await wall.goto(`${base}/?display=1`);
await wall.fill('#username', 'admin');
await wall.fill('#password', 'measurement-password');
await wall.click('#login button[type=submit]');
await wall.waitForFunction((n) => (globalThis as any).iocConsole?.devices() === n, devices.length);
await wall.waitForTimeout(1_500);
await wall.screenshot({ path: 'docs/console-display.png' });

await browser.close();
await measured.close();
process.exit(0);
