// The map shows the place: it opens on the area where the devices stand (not on two cities 500 km
// apart), choosing an area moves it there, the view left is the view found again, unit outlines and
// names that never overlap are drawn, and the offline base map (a PMTiles archive in DATA_DIR) is read
// by byte ranges and painted, in a Chromium that reaches nothing but the IOC.
import { mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { namedFlavor } from '@protomaps/basemaps';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { launchChromium } from '../helpers/browser.ts';
import { pmtilesArchive, tileAt, vectorTile } from './pmtilesArchive.ts';

let app: TestApp;
let browser: Browser;
let folder: string;
let archivePath: string;
const hoiAn = { south: 15.8446, west: 108.2796, north: 15.9669, east: 108.5346 };
const tayNinh = { south: 11.2565, west: 106.0575, north: 11.4438, east: 106.2209 };
const square: [number, number][] = [
  [0, 0],
  [4096, 0],
  [4096, 4096],
  [0, 4096],
];
// The outline of phường Hội An as the test imports it: a box around its centre.
const hoiAnOutline = [
  [
    [108.315, 15.86],
    [108.345, 15.86],
    [108.345, 15.885],
    [108.315, 15.885],
    [108.315, 15.86],
  ],
];

function device(id: string, city: string, ward: string, lat: number, lon: number) {
  return {
    id,
    kind: 'streetlight' as const,
    city,
    ward,
    lat,
    lon,
    pole: null,
    zone: null,
    name: `Đèn ${id}`,
  };
}

beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'ioc-basemap-'));
  archivePath = join(folder, 'basemap.pmtiles');
  const land = vectorTile([{ name: 'earth', ring: square }]);
  await writeFile(
    archivePath,
    pmtilesArchive(
      [tileAt(15.8771, 108.3282, 10), tileAt(11.31, 106.1, 10)].map((t) => ({ ...t, data: land })),
    ),
  );
  app = await startTestApp({ CONSOLE_PMTILES_PATH: archivePath });
  const admin = await app.login();
  const imported = await app.request('PUT', '/api/v1/places/boundaries', admin, {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { id: 'phuong-hoi-an' },
        geometry: { type: 'Polygon', coordinates: hoiAnOutline },
      },
    ],
  });
  expect(imported.status).toBe(200);
  await app.registry.create(device('ha-ma-sl-9701', 'hoi-an', 'phuong-hoi-an', 15.8771, 108.3282));
  await app.registry.create(device('ha-ma-sl-9702', 'hoi-an', 'phuong-hoi-an', 15.8775, 108.329));
  await app.registry.create(device('tn-sl-9701', 'tay-ninh', 'phuong-tan-ninh', 11.3164, 106.1043));
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await rm(folder, { recursive: true, force: true });
});

/** A browser context that may reach the IOC and nothing else; every other request is counted. */
async function offlineContext(): Promise<{ context: BrowserContext; outside: string[]; ranges: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
  const outside: string[] = [];
  const ranges: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(app.baseUrl)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  context.on('request', (request) => {
    const range = request.headers().range;
    if (request.url().endsWith('/tiles/basemap.pmtiles') && range) ranges.push(range);
  });
  return { context, outside, ranges };
}

async function logIn(page: Page) {
  await page.goto(app.baseUrl);
  await page.fill('#username', 'admin');
  await page.fill('#password', testAdminPassword);
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => (globalThis as any).iocConsole?.devices() === 3);
}

const view = (page: Page) => page.evaluate(() => (globalThis as any).iocConsole.view());
const inside = (v: { lat: number; lng: number }, b: typeof hoiAn) =>
  v.lat > b.south && v.lat < b.north && v.lng > b.west && v.lng < b.east;

describe('the console map', { timeout: 60_000 }, () => {
  it('opens on the area where the devices stand, with outlines, names that never overlap and the offline base map', async () => {
    const { context, outside, ranges } = await offlineContext();
    const page = await context.newPage();
    await logIn(page);
    // Two devices in Hội An, one in Tây Ninh: the map shows Hội An, not both cities at once.
    await page.waitForFunction(() => (globalThis as any).iocConsole.view().zoom >= 11);
    const opened = await view(page);
    expect(inside(opened, hoiAn)).toBe(true);

    await page.waitForFunction(() => (globalThis as any).iocConsole.boundaries() === 1);
    expect(await page.locator('path.unit-boundary').count()).toBe(1);
    const labels = await page.evaluate(() => (globalThis as any).iocConsole.labels());
    expect(labels.shown).toBeGreaterThan(0);
    expect(labels.overlap).toBe(false);
    await page.evaluate('window.iocConsole.zoom(8)');
    expect((await page.evaluate(() => (globalThis as any).iocConsole.labels())).overlap).toBe(false);
    await page.evaluate('window.iocConsole.zoom(13)');

    // The base map: read by byte ranges and painted in the land colour of its style.
    const earth = namedFlavor('light').earth;
    await page.waitForFunction((colour) => {
      const rgb = [1, 3, 5].map((i) => Number.parseInt(colour.slice(i, i + 2), 16));
      for (const canvas of (globalThis as any).document.querySelectorAll('canvas.leaflet-tile')) {
        if (!canvas.width) continue;
        const pixel = canvas.getContext('2d').getImageData(canvas.width / 2, canvas.height / 2, 1, 1).data;
        if (rgb.every((v, i) => Math.abs(v - pixel[i]) <= 2)) return true;
      }
      return false;
    }, earth);
    expect(ranges.length).toBeGreaterThan(0);
    expect(ranges[0]).toMatch(/^bytes=\d+-\d+$/);
    expect(outside).toEqual([]);
    await context.close();
  });

  it('moves to the area chosen and opens again where the operator left it', async () => {
    const { context } = await offlineContext();
    const page = await context.newPage();
    await logIn(page);
    await page.selectOption('#filter-city', 'tay-ninh');
    await page.waitForFunction(() => {
      const v = (globalThis as any).iocConsole.view();
      return v.lat > 11 && v.lat < 12;
    });
    expect(inside(await view(page), tayNinh)).toBe(true);
    await page.selectOption('#filter-city', 'hoi-an');
    await page.selectOption('#filter-ward', 'phuong-hoi-an');
    // A unit with an outline: the map fits the outline.
    await page.waitForFunction(() => (globalThis as any).iocConsole.view().zoom >= 14);
    const left = await view(page);
    expect(inside(left, hoiAn)).toBe(true);

    await page.reload();
    await page.waitForFunction(() => (globalThis as any).iocConsole?.devices() === 3);
    const again = await view(page);
    expect(again.zoom).toBe(left.zoom);
    expect(again.lat).toBeCloseTo(left.lat, 4);
    expect(again.lng).toBeCloseTo(left.lng, 4);
    await context.close();
  });
});

describe('the map of an account limited to one area', { timeout: 60_000 }, () => {
  it('opens on the area the account reaches', async () => {
    await app.pool.query(
      `INSERT INTO users (username, password_hash, role, scope)
       SELECT 'tn-viewer', password_hash, 'viewer', ARRAY['tay-ninh'] FROM users WHERE username = 'admin'`,
    );
    const { context } = await offlineContext();
    const page = await context.newPage();
    await page.goto(app.baseUrl);
    await page.fill('#username', 'tn-viewer');
    await page.fill('#password', testAdminPassword);
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => (globalThis as any).iocConsole?.devices() > 0);
    expect(inside(await view(page), tayNinh)).toBe(true);
    await context.close();
  });
});

describe('the offline base map over HTTP', () => {
  const url = () => `${app.baseUrl}/tiles/basemap.pmtiles`;

  it('answers a byte range with 206, Accept-Ranges, Content-Range and an ETag, without a login', async () => {
    const res = await fetch(url(), { headers: { range: 'bytes=0-6' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-range')).toMatch(/^bytes 0-6\/\d+$/);
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(Buffer.from(await res.arrayBuffer()).toString('ascii')).toBe('PMTiles');
    const whole = await fetch(url());
    expect(whole.status).toBe(200);
    expect(Number(whole.headers.get('content-length'))).toBeGreaterThan(127);
  });

  it('refuses a range past the end with 416 and a changed archive with 412', async () => {
    const beyond = await fetch(url(), { headers: { range: 'bytes=999999-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toMatch(/^bytes \*\/\d+$/);
    const etag = (await fetch(url(), { headers: { range: 'bytes=0-0' } })).headers.get('etag')!;
    await utimes(archivePath, new Date(), new Date(Date.now() + 60_000));
    const stale = await fetch(url(), { headers: { range: 'bytes=0-0', 'if-match': etag } });
    expect(stale.status).toBe(412);
  });

  it('says where the archive is, and that none is there once it is gone', async () => {
    expect((await app.request('GET', '/api/v1/console/basemap')).body).toEqual({
      url: '/tiles/basemap.pmtiles',
    });
    const kept = join(folder, 'kept.pmtiles');
    await rename(archivePath, kept);
    expect((await app.request('GET', '/api/v1/console/basemap')).body).toEqual({ url: null });
    expect((await fetch(url())).status).toBe(404);
    await rename(kept, archivePath);
  });
});
