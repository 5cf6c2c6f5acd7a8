// The anonymous open-data endpoints as a way to exhaust the server: the same page asked for under
// many spellings, many distinct large pages to fill the cache, and forty expensive reads at once to
// take the database pool. Each against the real server, with the bound that holds.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeeds } from '../../src/feeds/index.ts';
import { createLogger } from '../../src/log.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

const cacheBytes = 8 * 1_048_576;
const hours = 48;
const devices = 200;
const start = new Date('2026-03-01T00:00:00+07:00');
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    OPEN_DATA_ENABLED: 'true',
    FEEDS_REFRESH_S: '3600',
    OPEN_DATA_CACHE_BYTES: String(cacheBytes),
    OPEN_DATA_CONCURRENCY: '2',
  });
  const wards = app.catalog.wardIds('tay-ninh');
  await app.pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, created_at)
     SELECT 'tn-env-' || i, 'environment', 'tay-ninh', ($1::text[])[1 + i % cardinality($1::text[])],
            11.31, 106.1, 'env ' || i, 'x', '2026-01-01'
     FROM generate_series(1, $2::int) AS i`,
    [wards, devices],
  );
  // Two metrics per device and hour: 19,200 published hourly rows, pages of megabytes.
  await app.pool.query(
    `INSERT INTO telemetry_hourly (device_id, metric, hour, count, sum, min, max)
     SELECT d.id, m, h, 60, 60 * 30.5, 20.25, 40.75
     FROM devices d, unnest(ARRAY['pm25', 'pm10']) AS m,
          generate_series($1::timestamptz, $1::timestamptz + ($2::int - 1) * interval '1 hour', interval '1 hour') AS h
     WHERE d.id LIKE 'tn-env-%'`,
    [start, hours],
  );
  await app.pool.query(
    `INSERT INTO rollup_dirty (hour)
     SELECT generate_series($1::timestamptz, $1::timestamptz + ($2::int - 1) * interval '1 hour', interval '1 hour')`,
    [start, hours],
  );
  const feeds = createFeeds({
    pool: app.pool,
    catalog: app.catalog,
    log: createLogger('silent'),
    publishDelayS: 600,
    clock: () => new Date(start.getTime() + (hours + 48) * 3_600_000),
  });
  await feeds.refresher.runUntilIdle();
  await feeds.stop();
}, 120_000);
afterAll(async () => app?.close(), 120_000);

async function counts() {
  const values = (await app.metrics.openDataRequests.get()).values;
  const of = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
  return { hit: of('hit'), shared: of('shared'), read: of('read'), busy: of('busy') };
}
const cachedBytes = async () => (await app.metrics.openDataCacheBytes.get()).values[0]?.value ?? 0;
const open = (query: string) => fetch(`${app.baseUrl}/api/v1/open/aggregates?${query}`);

describe('open-data cache', () => {
  it('keeps one entry for every spelling of the same query', async () => {
    const spellings = [
      'city=tay-ninh&period=hour&limit=5000&from=2026-03-02',
      'limit=05000&from=2026-03-02&period=hour&city=tay-ninh',
      'city=tay-ninh&limit=5e3&from=2026-03-02',
      'from=2026-03-01T17:00:00Z&city=tay-ninh&limit=5000.0',
      'city=tay-ninh&from=2026-03-02T00:00:00%2B07:00&limit=+5000&format=json',
    ];
    const before = await counts();
    const bodies: string[] = [];
    for (const query of spellings) {
      const res = await open(query);
      expect(res.status, query).toBe(200);
      bodies.push(await res.text());
    }
    const after = await counts();
    expect(after.read - before.read).toBe(1);
    expect(after.hit - before.hit).toBe(spellings.length - 1);
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).items).toHaveLength(5000);
  });

  it('holds its byte budget, and the process its memory, under many distinct large pages', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    // One page first, uncounted: what the first request sets up once (schemas compiled, pools grown)
    // is not what this test is about.
    const warm = await open(`city=tay-ninh&limit=50000&from=${encodeURIComponent(start.toISOString())}`);
    await warm.arrayBuffer();
    const base = used();
    let largest = 0;
    let pageBytes = 0;
    // One at a time: the gate is the next test's subject; here every page is read and offered to the cache.
    for (let i = 0; i < 12; i++) {
      const from = new Date(start.getTime() + i * 3_600_000).toISOString();
      const res = await open(`city=tay-ninh&limit=50000&from=${encodeURIComponent(from)}`);
      expect(res.status).toBe(200);
      pageBytes = Math.max(pageBytes, (await res.arrayBuffer()).byteLength);
      largest = Math.max(largest, await cachedBytes());
    }
    const growth = used() - base;
    // Each page is megabytes: twelve of them kept would be far over the budget.
    expect(pageBytes * 12).toBeGreaterThan(cacheBytes * 4);
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThanOrEqual(cacheBytes);
    expect(growth).toBeLessThan(cacheBytes + 32 * 1_048_576);
  }, 120_000);

  it('lets only a few anonymous reads at the database at once; the rest get 429 with Retry-After', async () => {
    // A transaction holding the table makes every read wait on it, so "at once" is certain.
    const blocker = await app.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE telemetry_hourly IN ACCESS EXCLUSIVE MODE');
    const before = await counts();
    const answers = Array.from({ length: 40 }, (_, i) => {
      const to = new Date(start.getTime() + (24 + i) * 3_600_000).toISOString();
      return open(`city=tay-ninh&limit=50000&metric=pm25&to=${encodeURIComponent(to)}`);
    });
    await eventually(counts, (c) => c.read - before.read === 2 && c.busy - before.busy === 30);
    const waiting = await app.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%feed_publications%'`,
    );
    expect(waiting.rows[0]!.n).toBeLessThanOrEqual(2);
    const health = await fetch(`${app.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    await blocker.query('COMMIT');
    blocker.release();
    const done = await Promise.all(answers);
    const statuses = done.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
    for (const res of done.filter((r) => r.status === 429)) {
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    }
    await Promise.all(done.filter((r) => r.status === 200).map((r) => r.arrayBuffer()));
  }, 60_000);
});
