// Open data: off by default (404 that says how to turn it on); when on, anonymous, cached, and
// without cameras or security details.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeeds } from '../../src/feeds/index.ts';
import { createLogger } from '../../src/log.ts';
import { insertTelemetryRows } from '../../src/storage/telemetry.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let closed: TestApp;
let open: TestApp;
const range = 'city=hoi-an&period=day&from=2026-04-01&to=2026-04-02';

beforeAll(async () => {
  [closed, open] = await Promise.all([
    startTestApp({ FEEDS_REFRESH_S: '3600' }),
    startTestApp({ FEEDS_REFRESH_S: '3600', OPEN_DATA_ENABLED: 'true' }),
  ]);
  await open.pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, created_at) VALUES
     ('ha-env-o', 'environment', 'hoi-an', 'phuong-hoi-an', 15.877, 108.326, 'e', 'x', '2026-01-01'),
     ('ha-cam-o', 'camera', 'hoi-an', 'phuong-hoi-an', 15.877, 108.326, 'c', 'x', '2026-01-01')`,
  );
  const at = new Date('2026-04-01T10:00:00+07:00');
  await insertTelemetryRows(open.pool, {
    time: [at, at],
    deviceId: ['ha-env-o', 'ha-cam-o'],
    metric: ['pm25', 'recording'],
    value: [30, 1],
  });
  const feeds = createFeeds({
    pool: open.pool,
    catalog: open.catalog,
    log: createLogger('silent'),
    publishDelayS: 600,
    clock: () => new Date('2026-04-03T00:00:00Z'),
  });
  await feeds.refresher.runUntilIdle();
  await feeds.stop();
});
afterAll(async () => {
  await Promise.all([closed?.close(), open?.close()]);
});

describe('open data', () => {
  it('is off unless the city turns it on, and says how', async () => {
    const res = await closed.request('GET', `/api/v1/open/indicators?${range}`);
    expect(res.status).toBe(404);
    expect(res.body.error.message).toContain('OPEN_DATA_ENABLED=true');
  });

  it('when on, answers anyone, cacheable, with sensors but without cameras', async () => {
    const res = await fetch(`${open.baseUrl}/api/v1/open/indicators?${range}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const body = (await res.json()) as { items: Array<{ indicator: string; dimension: string | null }> };
    const names = new Set(body.items.map((i) => i.indicator));
    expect(names.has('pm25_mean')).toBe(true);
    expect(names.has('camera_uptime_pct')).toBe(false);
    expect(body.items.some((i) => i.dimension === 'camera')).toBe(false);

    const page = (await (await fetch(`${open.baseUrl}/api/v1/open/aggregates?city=hoi-an`)).json()) as {
      items: Array<{ kind: string }>;
    };
    const kinds = page.items.map((item) => item.kind);
    expect(kinds).toEqual(['environment']);
  });

  it('is not a way into the rest of the API', async () => {
    expect(
      (await open.request('GET', '/api/v1/feeds/indicators?city=hoi-an&from=2026-04-01&to=2026-04-02'))
        .status,
    ).toBe(401);
    expect((await open.request('GET', '/api/v1/devices')).status).toBe(401);
  });
});
