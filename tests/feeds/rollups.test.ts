// Rollups and indicators on plain PostgreSQL, from known synthetic series: exact sums, the daily
// VN_AQI and its category, noise minutes on each side of 21:00 and 06:00, and what a duplicate or a
// late reading does to the totals.
import { beforeEach, describe, expect, it } from 'vitest';
import { createRefresher } from '../../src/feeds/refresher.ts';
import { createLogger } from '../../src/log.ts';
import { inTransaction, type Pool } from '../../src/storage/pool.ts';
import { foldHourlyDeltas, pendingParts, reclaimPending } from '../../src/storage/rollups.ts';
import { insertTelemetryRows } from '../../src/storage/telemetry.ts';
import { useMigratedDatabase } from '../helpers/database.ts';

const log = createLogger('silent');
let pool: Pool;
const now = new Date('2026-11-20T00:00:00Z');
const refresher = (options: { foldEveryS?: number } = {}) =>
  createRefresher({
    pool,
    log,
    publishDelayS: 600,
    readingMinutes: () => 1,
    cities: [{ id: 'hoi-an', lat: 15.8801, lon: 108.338 }],
    clock: () => now,
    ...options,
  });

/** Local (UTC+7) wall-clock time to an instant. */
const local = (text: string) => new Date(`${text}+07:00`);

async function store(rows: Array<[deviceId: string, metric: string, at: Date, value: number]>) {
  return insertTelemetryRows(pool, {
    deviceId: rows.map((r) => r[0]),
    metric: rows.map((r) => r[1]),
    time: rows.map((r) => r[2]),
    value: rows.map((r) => r[3]),
  });
}

async function device(id: string, kind: string, ward: string, zone: 'special' | 'normal' | null = null) {
  await pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, zone, name, secret_hash, created_at)
     VALUES ($1, $2, 'hoi-an', $3, 15.877, 108.326, $4, $1, 'x', '2026-01-01')`,
    [id, kind, ward, zone],
  );
}

async function daily(indicator: string, ward = '', day?: string) {
  const { rows } = await pool.query(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, dim, sum, count, max FROM indicator_daily
     WHERE indicator = $1 AND ward = $2 AND ($3::date IS NULL OR day = $3) ORDER BY day, dim`,
    [indicator, ward, day ?? null],
  );
  return rows;
}

useMigratedDatabase((p) => {
  pool = p;
});
beforeEach(async () => {
  await pool.query(
    'TRUNCATE devices, telemetry_messages, telemetry_pending, telemetry_hourly, telemetry_hourly_delta, telemetry_daily, rollup_dirty, indicator_hourly, indicator_daily, feed_publications',
  );
});

describe('hourly rollups', () => {
  it('sum every new reading once: a redelivered batch adds nothing, a late one lands in its hour', async () => {
    const batch: Array<[string, string, Date, number]> = [
      ['env-1', 'pm25', local('2026-11-19T08:00:00'), 10],
      ['env-1', 'pm25', local('2026-11-19T08:20:00'), 20],
      ['env-1', 'pm25', local('2026-11-19T08:40:00'), 60],
    ];
    expect(await store(batch)).toBe(3);
    expect(await store(batch)).toBe(0);
    const hourly = async () => {
      await refresher().runUntilIdle(); // folds what ingest appended
      const { rows } = await pool.query(
        'SELECT count, sum, min, max FROM telemetry_hourly WHERE device_id = $1',
        ['env-1'],
      );
      return rows;
    };
    expect(await hourly()).toEqual([{ count: 3, sum: 90, min: 10, max: 60 }]);

    // A reading from the same hour arriving later, mixed with a redelivery of one already stored.
    expect(
      await store([
        ['env-1', 'pm25', local('2026-11-19T08:59:59'), 2],
        ['env-1', 'pm25', local('2026-11-19T08:20:00'), 20],
      ]),
    ).toBe(1);
    expect(await hourly()).toEqual([{ count: 4, sum: 92, min: 2, max: 60 }]);
  });
});

describe('the refresher between passes', () => {
  it('folds what ingest stored into its hour and marks the hour for the next pass', async () => {
    const running = refresher({ foldEveryS: 0.1 });
    running.start(3_600); // the first pass runs now; the next one not within this test
    try {
      const until = async (done: () => Promise<boolean>) => {
        const deadline = Date.now() + 5_000;
        while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      };
      // The first pass is over once it has published the last closed hour.
      await until(async () => (await pool.query('SELECT 1 FROM feed_publications')).rows.length > 0);
      await store([['env-2', 'pm25', local('2026-11-19T09:10:00'), 7]]);
      const folded = async () =>
        (await pool.query("SELECT count, sum FROM telemetry_hourly WHERE device_id = 'env-2'")).rows;
      await until(async () => (await folded()).length > 0);
      expect(await folded()).toEqual([{ count: 1, sum: 7 }]);
      expect((await pool.query('SELECT count(*)::int AS n FROM telemetry_pending')).rows[0].n).toBe(0);
      const marked = await pool.query('SELECT DISTINCT hour FROM rollup_dirty');
      expect(marked.rows.map((r) => r.hour.toISOString())).toContain(
        local('2026-11-19T09:00:00').toISOString(),
      );
    } finally {
      await running.stop();
    }
  });
});

describe('folding part by part', () => {
  it('folds one partition of the stored messages at a time, whole devices each, and all of them in the end', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `env-${i}`);
    await store(ids.map((id, i) => [id, 'pm25', local('2026-11-19T10:05:00'), i]));
    const partOf = new Map(
      (
        await pool.query<{ device_id: string; part: string }>(
          'SELECT device_id, tableoid::regclass::text AS part FROM telemetry_pending',
        )
      ).rows.map((r) => [r.device_id, Number(r.part.replace('telemetry_pending_', ''))]),
    );
    const first = partOf.get('env-0')!;
    const fold = (part: number) => inTransaction(pool, (client) => foldHourlyDeltas(client, part));
    const hourly = async () =>
      (await pool.query<{ device_id: string }>('SELECT device_id FROM telemetry_hourly')).rows.map(
        (r) => r.device_id,
      );

    expect(await fold(first)).toEqual([local('2026-11-19T10:00:00')]);
    expect((await hourly()).sort()).toEqual(ids.filter((id) => partOf.get(id) === first).sort());
    for (let part = 0; part < pendingParts; part++) await fold(part);
    expect((await hourly()).sort()).toEqual([...ids].sort());
    expect((await pool.query('SELECT count(*)::int AS n FROM telemetry_pending')).rows[0].n).toBe(0);
    await expect(fold(pendingParts)).rejects.toThrow(/partitions 0 to 31/);
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'telemetry_pending'::regclass",
    );
    expect(rows[0]!.n).toBe(pendingParts); // the code's count is the migration's
  });
});

describe('the pending messages after a fold', () => {
  it('leave their pages to the next messages: a folded and vacuumed partition does not grow', async () => {
    const minute = (m: number): Array<[string, string, Date, number]> =>
      Array.from({ length: 600 }, (_, i) => [
        'env-0',
        'pm25',
        new Date(now.getTime() + m * 60_000 + i * 50),
        i,
      ]);
    await store(minute(0));
    const { rows } = await pool.query<{ part: string }>(
      'SELECT DISTINCT tableoid::regclass::text AS part FROM telemetry_pending',
    );
    const part = Number(rows[0]!.part.replace('telemetry_pending_', ''));
    const pages = async () =>
      (
        await pool.query<{ n: number }>(
          `SELECT pg_relation_size('telemetry_pending_${part}')::int / current_setting('block_size')::int AS n`,
        )
      ).rows[0]!.n;
    const written = await pages();
    expect(written).toBeGreaterThan(2);

    await inTransaction(pool, (client) => foldHourlyDeltas(client, part));
    await reclaimPending(pool, part);
    await store(minute(1)); // as many again: without the vacuum, new pages after the dead ones
    expect(await pages()).toBe(written);
    await expect(reclaimPending(pool, pendingParts)).rejects.toThrow(/partitions 0 to 31/);
  });
});

describe('daily indicators', () => {
  it('give the daily VN_AQI of the worst station and count the day in its category', async () => {
    await device('env-a', 'environment', 'minh-an');
    await device('env-b', 'environment', 'minh-an');
    const rows: Array<[string, string, Date, number]> = [];
    for (let h = 0; h < 24; h++) {
      const at = local(`2026-11-18T${String(h).padStart(2, '0')}:30:00`);
      rows.push(['env-a', 'pm25', at, 30]); // 24 h mean 30 µg/m³ → VN_AQI 60, moderate
      rows.push(['env-b', 'pm25', at, 10]); // 24 h mean 10 → 20, good
    }
    await store(rows);
    await refresher().runUntilIdle();

    expect(await daily('aqi_daily', 'minh-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 60, count: 1, max: 60 },
    ]);
    expect(await daily('aqi_category_days', 'minh-an')).toEqual([
      { day: '2026-11-18', dim: 'moderate', sum: 1, count: 1, max: 1 },
    ]);
    expect(await daily('pm25_mean', 'minh-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 960, count: 48, max: 20 },
    ]);
  });

  it('count noise minutes over the limit by day and night across 21:00 and 06:00', async () => {
    await device('noise-1', 'noise', 'minh-an', 'normal');
    const minute = (text: string): [string, string, Date, number] => ['noise-1', 'laeq_db', local(text), 60];
    // 60 dBA is under the normal-zone day limit (70) and over the night limit (55).
    await store([
      minute('2026-11-18T20:58:00'),
      minute('2026-11-18T20:59:00'),
      minute('2026-11-18T21:00:00'),
      minute('2026-11-18T21:01:00'),
      minute('2026-11-19T05:59:00'),
      minute('2026-11-19T06:00:00'),
    ]);
    await refresher().runUntilIdle();
    expect(await daily('noise_exceedance_minutes', 'minh-an')).toEqual([
      { day: '2026-11-18', dim: 'day', sum: 0, count: 1, max: 0 },
      { day: '2026-11-18', dim: 'night', sum: 2, count: 1, max: 2 },
      { day: '2026-11-19', dim: 'day', sum: 0, count: 1, max: 0 },
      { day: '2026-11-19', dim: 'night', sum: 1, count: 1, max: 1 },
    ]);
  });

  it('recompute a published day when a late reading arrives, and publish it again', async () => {
    await device('env-a', 'environment', 'minh-an');
    await store([['env-a', 'pm25', local('2026-11-18T10:00:00'), 30]]);
    const r = refresher();
    await r.runUntilIdle();
    const published = async () =>
      (
        await pool.query("SELECT xid::text FROM feed_publications WHERE scope = 'day' AND start = $1", [
          local('2026-11-18T00:00:00'),
        ])
      ).rows[0]?.xid as string | undefined;
    const first = await published();
    expect(first).toBeDefined();
    expect(await daily('pm25_mean', 'minh-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 30, count: 1, max: 30 },
    ]);

    await store([['env-a', 'pm25', local('2026-11-18T10:30:00'), 50]]); // late
    await store([['env-a', 'pm25', local('2026-11-18T10:30:00'), 50]]); // and redelivered
    await r.runUntilIdle();
    expect(await daily('pm25_mean', 'minh-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 80, count: 2, max: 40 },
    ]);
    expect(BigInt((await published())!)).toBeGreaterThan(BigInt(first!));
  });

  it('measure streetlight energy from the meter and availability over dark hours only', async () => {
    await device('lamp-1', 'streetlight', 'minh-an');
    const rows: Array<[string, string, Date, number]> = [];
    // 2026-11-18 in Hội An: dark roughly 17:20–05:50. Lamp on 18:00–23:59, off from midnight (a fault).
    for (let h = 12; h < 24; h++) {
      const at = local(`2026-11-18T${String(h).padStart(2, '0')}:10:00`);
      rows.push(['lamp-1', 'lamp_on', at, h >= 18 ? 1 : 0]);
      rows.push(['lamp-1', 'energy_kwh', at, 100 + Math.max(0, h - 17) * 0.1]);
    }
    await store(rows);
    await refresher().runUntilIdle();
    const [availability] = await daily('streetlight_availability_pct', 'minh-an');
    // Dark hours reported: 17:00 (mid-hour 17:30 is dark), 18:00–23:00 → 7, of which lit 6.
    expect(availability).toMatchObject({ sum: 6, count: 7 });
    const [energy] = await daily('streetlight_energy_kwh', 'minh-an');
    expect(energy!.sum).toBeCloseTo(0.6, 9); // 100.0 at 17:10 → 100.6 at 23:10
  });
});
