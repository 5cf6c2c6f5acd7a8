// Migration 020 on a database that holds a month of readings under the former wards: what it moves,
// what it keeps, and that the province's totals per area do not change.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.ts';
import { createFeeds } from '../../src/feeds/index.ts';
import { createRefresher } from '../../src/feeds/refresher.ts';
import { createLogger } from '../../src/log.ts';
import { createPlaces } from '../../src/places/index.ts';
import { defaultMigrationsDir, migrate } from '../../src/storage/migrate.ts';
import { createPlaceQueries } from '../../src/storage/places.ts';
import { createPool, type Pool } from '../../src/storage/pool.ts';
import { insertTelemetryRows } from '../../src/storage/telemetry.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

const log = createLogger('silent');
let database: TestDatabase;
let pool: Pool;
const before019 = mkdtempSync(join(tmpdir(), 'ioc-migrations-'));
const local = (text: string) => new Date(`${text}+07:00`);

// Devices of several kinds in former wards of both areas; some current units take two former wards.
const devices: Array<[id: string, kind: string, city: string, ward: string]> = [
  ['tn-env-1', 'environment', 'tay-ninh', 'phuong-1'],
  ['tn-env-2', 'environment', 'tay-ninh', 'phuong-3'],
  ['tn-env-3', 'environment', 'tay-ninh', 'ninh-son'],
  ['tn-noise-1', 'noise', 'tay-ninh', 'hiep-ninh'],
  ['tn-noise-2', 'noise', 'tay-ninh', 'binh-minh'],
  ['tn-sl-1', 'streetlight', 'tay-ninh', 'phuong-2'],
  ['tn-sl-2', 'streetlight', 'tay-ninh', 'ninh-thanh'],
  ['ha-env-1', 'environment', 'hoi-an', 'minh-an'],
  ['ha-env-2', 'environment', 'hoi-an', 'cam-pho'],
  ['ha-waste-1', 'waste', 'hoi-an', 'cua-dai'],
  ['ha-waste-2', 'waste', 'hoi-an', 'cam-thanh'],
  ['ha-cam-1', 'camera', 'hoi-an', 'tan-hiep'],
];
const metrics: Record<string, Array<[string, (i: number) => number]>> = {
  environment: [
    ['pm25', (i) => 20 + (i % 17) * 3],
    ['pm10', (i) => 40 + (i % 11) * 5],
    ['o3', (i) => 30 + (i % 7)],
  ],
  noise: [['laeq_db', (i) => 50 + (i % 25)]],
  streetlight: [
    ['lamp_on', (i) => (i % 5 === 0 ? 0 : 1)],
    ['energy_kwh', (i) => 100 + i * 0.1],
  ],
  waste: [['fill_pct', (i) => (i * 7) % 100]],
  camera: [['recording', (i) => (i % 9 === 0 ? 0 : 1)]],
};

async function loadReadings() {
  for (const [index, [id, kind, city, ward]] of devices.entries()) {
    await pool.query(
      `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash, created_at)
       VALUES ($1, $2, $3, $4, 11.3, 106.1, $1, 'x', '2025-06-01')`,
      [id, kind, city, ward],
    );
    const rows = {
      deviceId: [] as string[],
      metric: [] as string[],
      time: [] as Date[],
      value: [] as number[],
    };
    // Two days of readings every 20 minutes, June 2025 (before the change).
    for (let i = 0; i < 144; i++) {
      for (const [metric, value] of metrics[kind]!) {
        rows.deviceId.push(id);
        rows.metric.push(metric);
        rows.time.push(new Date(local('2025-06-10T00:00:00').getTime() + i * 20 * 60_000));
        rows.value.push(value(i + index));
      }
    }
    await insertTelemetryRows(pool, rows);
  }
  const rule = await pool.query(
    `INSERT INTO alert_rules (name, type, metric, comparison, threshold, severity, city, ward, message_vi, message_en)
     VALUES ('pm25 cao', 'threshold', 'pm25', '>', 50, 'warning', 'tay-ninh', 'phuong-3', 'x', 'x') RETURNING id`,
  );
  await pool.query(
    `INSERT INTO alerts (rule_id, device_id, kind, city, ward, severity, state, message_vi, message_en, opened_at, last_seen_at)
     VALUES ($1, 'tn-env-2', 'environment', 'tay-ninh', 'phuong-3', 'warning', 'resolved', 'x', 'x', $2, $2)`,
    [rule.rows[0].id, local('2025-06-10T09:00:00')],
  );
}

const refresh = async () => {
  const refresher = createRefresher({
    pool,
    log,
    publishDelayS: 600,
    readingMinutes: () => 1,
    cities: [
      { id: 'tay-ninh', lat: 11.31, lon: 106.1 },
      { id: 'hoi-an', lat: 15.88, lon: 108.33 },
    ],
    clock: () => local('2025-06-13T00:00:00'),
  });
  await refresher.runUntilIdle();
  await refresher.stop();
};

const areaTotals = async (table: 'indicator_hourly' | 'indicator_daily') =>
  (
    await pool.query(
      `SELECT city, ${table === 'indicator_hourly' ? 'hour' : "to_char(day, 'YYYY-MM-DD') AS day"}, indicator, dim, sum, count, max
       FROM ${table} WHERE ward = '' ORDER BY 1, 2, 3, 4`,
    )
  ).rows;
/** Components per area, indicator and dimension, summed over the rows of its units. */
const unitSums = async (table: string) =>
  (
    await pool.query(
      `SELECT city, indicator, dim, round(sum(sum)::numeric, 6) AS sum, round(sum(count)::numeric, 6) AS count
       FROM ${table} WHERE ward <> '' AND indicator NOT LIKE 'aqi%' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    )
  ).rows;
const unitRows = async (table: string) =>
  (
    await pool.query(
      `SELECT city, ward, ${table.includes('hourly') ? 'hour::text' : 'day::text'} AS at, indicator, dim,
              round(sum::numeric, 6) AS sum, round(count::numeric, 6) AS count, round(max::numeric, 6) AS max
       FROM ${table} WHERE ward <> '' ORDER BY 1, 2, 3, 4, 5`,
    )
  ).rows;

const snapshot: Record<string, unknown> = {};

beforeAll(async () => {
  for (const file of readdirSync(defaultMigrationsDir).filter((f) => f.endsWith('.sql') && f < '020'))
    cpSync(join(defaultMigrationsDir, file), join(before019, file));
  database = await createTestDatabase();
  pool = createPool(database.url);
  await migrate(pool, log, before019);
  await loadReadings();
  await refresh();
  snapshot.hourlyTotals = await areaTotals('indicator_hourly');
  snapshot.dailyTotals = await areaTotals('indicator_daily');
  snapshot.hourlySums = await unitSums('indicator_hourly');
  snapshot.dailySums = await unitSums('indicator_daily');
  snapshot.hourlyRows = await unitRows('indicator_hourly');
  snapshot.dailyRows = await unitRows('indicator_daily');
  expect(await migrate(pool, log)).toContain('020_places_current_units');
}, 120_000);
afterAll(async () => {
  await pool.end();
  await database.drop();
  rmSync(before019, { recursive: true, force: true });
});

describe('migration to the units in force since 1 July 2025', () => {
  it('has the mapping of devices/places/historical-units.json, row for row', () => {
    const sql = readFileSync(join(defaultMigrationsDir, '020_places_current_units.sql'), 'utf8');
    const inSql = [...sql.matchAll(/\('([a-z-]+)', '([a-z0-9-]+)', '([a-z0-9-]+)'\)/g)].map((m) =>
      m.slice(1).join(' '),
    );
    const file = JSON.parse(
      readFileSync(new URL('../../devices/places/historical-units.json', import.meta.url), 'utf8'),
    );
    expect(inSql.sort()).toEqual(
      file.units
        .map((u: { area: string; id: string; mergedInto: string }) => `${u.area} ${u.id} ${u.mergedInto}`)
        .sort(),
    );
  });

  it('moves devices, alerts and rules to the current units and keeps the former ward beside them', async () => {
    const moved = await pool.query('SELECT id, ward, ward_before_2025 FROM devices ORDER BY id');
    expect(moved.rows.find((d) => d.id === 'tn-env-2')).toEqual({
      id: 'tn-env-2',
      ward: 'phuong-tan-ninh',
      ward_before_2025: 'phuong-3',
    });
    expect(moved.rows.find((d) => d.id === 'ha-cam-1')).toMatchObject({
      ward: 'xa-tan-hiep',
      ward_before_2025: 'tan-hiep',
    });
    expect(new Set(moved.rows.map((d) => d.ward))).toEqual(
      new Set([
        'phuong-tan-ninh',
        'phuong-binh-minh',
        'phuong-ninh-thanh',
        'phuong-hoi-an',
        'phuong-hoi-an-dong',
        'xa-tan-hiep',
      ]),
    );
    const alert = await pool.query('SELECT ward, ward_before_2025 FROM alerts');
    expect(alert.rows).toEqual([{ ward: 'phuong-tan-ninh', ward_before_2025: 'phuong-3' }]);
    expect((await pool.query('SELECT ward FROM alert_rules WHERE name = $1', ['pm25 cao'])).rows).toEqual([
      { ward: 'phuong-tan-ninh' },
    ]);
  });

  it("leaves every per-area total as it was, and each area's units add up to what its former wards did", async () => {
    const indicators = new Set((snapshot.dailyRows as Array<{ indicator: string }>).map((r) => r.indicator));
    expect([...indicators].sort()).toEqual(
      expect.arrayContaining([
        'aqi_category_days',
        'aqi_daily',
        'camera_uptime_pct',
        'device_availability_pct',
        'noise_exceedance_minutes',
        'pm25_mean',
        'streetlight_energy_kwh',
        'waste_bins_need_collection',
      ]),
    );
    expect(await areaTotals('indicator_hourly')).toEqual(snapshot.hourlyTotals);
    expect(await areaTotals('indicator_daily')).toEqual(snapshot.dailyTotals);
    expect(await unitSums('indicator_hourly')).toEqual(snapshot.hourlySums);
    expect(await unitSums('indicator_daily')).toEqual(snapshot.dailySums);
  });

  it('keeps the indicators per former ward as they were reported', async () => {
    expect(await unitRows('indicator_hourly_before_2025')).toEqual(snapshot.hourlyRows);
    expect(await unitRows('indicator_daily_before_2025')).toEqual(snapshot.dailyRows);
  });

  it('gives the current units the same indicators the refresher computes for them from the readings', async () => {
    const migratedHourly = await unitRows('indicator_hourly');
    const migratedDaily = await unitRows('indicator_daily');
    await pool.query('INSERT INTO rollup_dirty (hour) SELECT DISTINCT hour FROM telemetry_hourly');
    await refresh();
    expect(await unitRows('indicator_hourly')).toEqual(migratedHourly);
    expect(await unitRows('indicator_daily')).toEqual(migratedDaily);
  });

  it('feeds report by the current units, a former id asking for its unit, and by the former units on request', async () => {
    const places = createPlaces({
      queries: createPlaceQueries(pool),
      log,
      formerIdsUntil: '2027-06-30',
      // A day the former ids are still taken, whatever day the suite runs.
      now: () => new Date('2026-12-07T00:00:00+07:00'),
    });
    await places.start();
    const feeds = createFeeds({
      pool,
      catalog: loadCatalog(undefined, places),
      log,
      publishDelayS: 600,
      clock: () => local('2025-06-13T00:00:00'),
    });
    try {
      const read = async (ward: string, units?: 'before-2025') =>
        (
          await feeds.indicators({
            city: 'tay-ninh',
            ward,
            period: 'day',
            from: local('2025-06-10T00:00:00'),
            to: local('2025-06-11T00:00:00'),
            indicator: ['pm25_mean', 'alerts_count'],
            units,
          })
        ).items.map((i) => [i.ward, i.wardName, i.indicator, i.value]);
      const current = await read('*');
      expect(current.map((i) => i[0])).toEqual(
        expect.arrayContaining(['phuong-tan-ninh', 'phuong-binh-minh']),
      );
      expect(current.filter((i) => i[0] === 'phuong-tan-ninh').map((i) => i[1])).toContain('Phường Tân Ninh');
      expect(await read('phuong-3')).toEqual(current.filter((i) => i[0] === 'phuong-tan-ninh'));
      const former = await read('*', 'before-2025');
      expect(new Set(former.map((i) => i[0]))).toEqual(new Set(['phuong-1', 'phuong-3', 'ninh-son']));
      expect(former).toContainEqual(['phuong-3', 'Phường 3', 'alerts_count', 1]);
      expect(await read('phuong-1', 'before-2025')).toEqual(former.filter((i) => i[0] === 'phuong-1'));
    } finally {
      await feeds.stop();
    }
  });
});
