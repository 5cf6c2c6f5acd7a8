// Rollups and indicators on plain PostgreSQL, from known synthetic series: exact sums, the daily
// VN_AQI (Decision 1459/QĐ-TCMT: its worked 8-hour example, windows reaching into the previous evening,
// complete windows only, the mean of hourly means) and its category, noise minutes on each side of
// 21:00 and 06:00 and under the QCVN 26 version in force, and what a duplicate or a late reading does
// to the totals.
import { beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.ts';
import { createFeeds } from '../../src/feeds/index.ts';
import { createRefresher } from '../../src/feeds/refresher.ts';
import { createLogger } from '../../src/log.ts';
import { type NoiseStandard, noiseHourLimits, noiseStandards } from '../../src/standards/index.ts';
import { inTransaction, type Pool } from '../../src/storage/pool.ts';
import {
  dailyAqiInputs,
  foldHourlyDeltas,
  pendingParts,
  reclaimPending,
  replaceHourIndicators,
} from '../../src/storage/rollups.ts';
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
    await device('env-a', 'environment', 'phuong-hoi-an');
    await device('env-b', 'environment', 'phuong-hoi-an');
    const rows: Array<[string, string, Date, number]> = [];
    for (let h = 0; h < 24; h++) {
      const at = local(`2026-11-18T${String(h).padStart(2, '0')}:30:00`);
      rows.push(['env-a', 'pm25', at, 30]); // 24 h mean 30 µg/m³ → VN_AQI 60, moderate
      rows.push(['env-b', 'pm25', at, 10]); // 24 h mean 10 → 20, good
    }
    await store(rows);
    await refresher().runUntilIdle();

    expect(await daily('aqi_daily', 'phuong-hoi-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 60, count: 1, max: 60 },
    ]);
    expect(await daily('aqi_category_days', 'phuong-hoi-an')).toEqual([
      { day: '2026-11-18', dim: 'moderate', sum: 1, count: 1, max: 1 },
    ]);
    expect(await daily('pm25_mean', 'phuong-hoi-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 960, count: 48, max: 20 },
    ]);
  });

  it('count noise minutes over the limit by day and night across 21:00 and 06:00', async () => {
    await device('noise-1', 'noise', 'phuong-hoi-an', 'normal');
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
    expect(await daily('noise_exceedance_minutes', 'phuong-hoi-an')).toEqual([
      { day: '2026-11-18', dim: 'day', sum: 0, count: 1, max: 0 },
      { day: '2026-11-18', dim: 'night', sum: 2, count: 1, max: 2 },
      { day: '2026-11-19', dim: 'day', sum: 0, count: 1, max: 0 },
      { day: '2026-11-19', dim: 'night', sum: 1, count: 1, max: 1 },
    ]);
  });

  it('recompute a published day when a late reading arrives, and publish it again', async () => {
    await device('env-a', 'environment', 'phuong-hoi-an');
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
    expect(await daily('pm25_mean', 'phuong-hoi-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 30, count: 1, max: 30 },
    ]);

    await store([['env-a', 'pm25', local('2026-11-18T10:30:00'), 50]]); // late
    await store([['env-a', 'pm25', local('2026-11-18T10:30:00'), 50]]); // and redelivered
    await r.runUntilIdle();
    expect(await daily('pm25_mean', 'phuong-hoi-an')).toEqual([
      { day: '2026-11-18', dim: '', sum: 80, count: 2, max: 40 },
    ]);
    expect(BigInt((await published())!)).toBeGreaterThan(BigInt(first!));
  });

  it('measure streetlight energy from the meter and availability over dark hours only', async () => {
    await device('lamp-1', 'streetlight', 'phuong-hoi-an');
    const rows: Array<[string, string, Date, number]> = [];
    // 2026-11-18 in Hội An: dark roughly 17:20–05:50. Lamp on 18:00–23:59, off from midnight (a fault).
    for (let h = 12; h < 24; h++) {
      const at = local(`2026-11-18T${String(h).padStart(2, '0')}:10:00`);
      rows.push(['lamp-1', 'lamp_on', at, h >= 18 ? 1 : 0]);
      rows.push(['lamp-1', 'energy_kwh', at, 100 + Math.max(0, h - 17) * 0.1]);
    }
    await store(rows);
    await refresher().runUntilIdle();
    const [availability] = await daily('streetlight_availability_pct', 'phuong-hoi-an');
    // Dark hours reported: 17:00 (mid-hour 17:30 is dark), 18:00–23:00 → 7, of which lit 6.
    expect(availability).toMatchObject({ sum: 6, count: 7 });
    const [energy] = await daily('streetlight_energy_kwh', 'phuong-hoi-an');
    expect(energy!.sum).toBeCloseTo(0.6, 9); // 100.0 at 17:10 → 100.6 at 23:10
  });
});

describe('the daily VN_AQI per Decision 1459/QĐ-TCMT', () => {
  const pad = (n: number) => String(n).padStart(2, '0');
  /** One reading per hour bin at HH:30 (so the hour's mean is the value), from a local day and hour on. */
  function hourly(deviceId: string, metric: string, day: string, fromHour: number, values: number[]) {
    const start = local(`${day}T00:30:00`).getTime() + fromHour * 3_600_000;
    return values.map((value, i): [string, string, Date, number] => [
      deviceId,
      metric,
      new Date(start + i * 3_600_000),
      value,
    ]);
  }
  const inputs = async (day: string) => {
    const client = await pool.connect();
    try {
      return (await dailyAqiInputs(client, [day])).find((r) => r.deviceId === 'env-a');
    } finally {
      client.release();
    }
  };
  const aqiOf = async (day: string) =>
    (await daily('aqi_daily', 'phuong-hoi-an', day))[0]?.max as number | undefined;

  // The Decision's example (2.2.2 a): O3 hourly means named by the hour they end, 18:00 the evening
  // before to 00:00 the day after. An hour ending at H is our bin starting at H−1, so its first value
  // (18:00) is the bin 17:00 of 2026-11-17 and its last (0:00) the bin 23:00 of 2026-11-18.
  const example = [
    15.7,
    14.2,
    17.7,
    18.9,
    19.3,
    15.7,
    19.7, // 18:00 … 0:00, the evening before
    22.6,
    27.1,
    29.0,
    31.9,
    25.3,
    34.7,
    35.2,
    41.6,
    45.7,
    49.2,
    55.8,
    69.6, // 1:00 … 12:00
    78.3,
    91.5,
    97.7,
    81.2,
    71.8,
    43.5,
    34.3,
    21.5,
    20.5,
    19.4,
    20.4,
    21.3, // 13:00 … 0:00
  ];

  it("reproduces the Decision's 8-hour O3 table: the day's highest 8-hour mean is 74.4", async () => {
    await device('env-a', 'environment', 'phuong-hoi-an');
    await store(hourly('env-a', 'o3', '2026-11-17', 17, example));
    await refresher().runUntilIdle();
    // The mean ending 17:00: (49.2 + 55.8 + 69.6 + 78.3 + 91.5 + 97.7 + 81.2 + 71.8) / 8 = 595.1 / 8 = 74.3875.
    expect((await inputs('2026-11-18'))?.o3_8hMax).toBeCloseTo(74.3875, 9);
    expect((await inputs('2026-11-18'))?.o3_1hMax).toBeCloseTo(97.7, 9);
  });

  it('takes its first 8-hour O3 mean, ending 01:00, from the previous evening (the Decision prints 18.0)', async () => {
    await device('env-a', 'environment', 'phuong-hoi-an');
    // Only the 8 hours ending 18:00 … 1:00: the one complete window of 2026-11-18 is the first one.
    await store(hourly('env-a', 'o3', '2026-11-17', 17, example.slice(0, 8)));
    await refresher().runUntilIdle();
    // (15.7 + 14.2 + 17.7 + 18.9 + 19.3 + 15.7 + 19.7 + 22.6) / 8 = 143.8 / 8 = 17.975 → 18.0
    expect((await inputs('2026-11-18'))?.o3_8hMax).toBeCloseTo(17.975, 9);
  });

  it('case 1: O3 of 300 µg/m³ the evening before counts in the first 8-hour means of the day: AQI 229', async () => {
    await device('env-a', 'environment', 'phuong-hoi-an');
    await store([
      ...hourly('env-a', 'o3', '2026-11-17', 17, Array(7).fill(300)), // bins 17:00–23:00 the evening before
      ...hourly('env-a', 'o3', '2026-11-18', 0, Array(24).fill(20)),
      ...hourly('env-a', 'pm25', '2026-11-18', 0, Array(24).fill(10)),
    ]);
    await refresher().runUntilIdle();
    // First window (bins 17:00 … 00:00): (7·300 + 20) / 8 = 265 µg/m³ → 8h column 210–400 ↦ 200–300:
    // 200 + 100·(265 − 210)/190 = 228.95 → 229. O3 1h max 20 → 6.25; PM2.5 10 → 20. AQI 229.
    // (Windows kept inside the day read 20 µg/m³ → 10, and the day's AQI 20 from PM2.5.)
    expect((await inputs('2026-11-18'))?.o3_8hMax).toBeCloseTo(265, 9);
    expect(await aqiOf('2026-11-18')).toBe(229);
  });

  it('case 2: a window of 6 or 7 hours is no 8-hour mean: AQI 178, not 222', async () => {
    await device('env-a', 'environment', 'phuong-hoi-an');
    // Nothing the day before; O3 251 µg/m³ in bins 00:00–05:00, 0 after; PM2.5 119.2 all day.
    await store([
      ...hourly('env-a', 'o3', '2026-11-18', 0, [...Array(6).fill(251), ...Array(18).fill(0)]),
      ...hourly('env-a', 'pm25', '2026-11-18', 0, Array(24).fill(119.2)),
    ]);
    await refresher().runUntilIdle();
    // First complete window (bins 00:00 … 07:00): (6·251 + 2·0) / 8 = 188.25 → 8h column 170–210 ↦
    // 150–200: 150 + 50·18.25/40 = 172.8 → 173. O3 1h max 251 → 100 + 50·51/100 = 125.5. PM2.5 119.2 →
    // 150 + 50·39.2/70 = 178. AQI 178, PM2.5 dominant. (The 6-hour window 00:00–05:00 would have read
    // 251 → 200 + 100·41/190 = 221.6 → 222.)
    expect((await inputs('2026-11-18'))?.o3_8hMax).toBeCloseTo(188.25, 9);
    expect(await aqiOf('2026-11-18')).toBe(178);
  });

  it('case 3: the 24-hour PM2.5 is the mean of the hourly means, however often each hour reported: AQI 70, not 105', async () => {
    await device('env-a', 'environment', 'phuong-hoi-an');
    const rows: Array<[string, string, Date, number]> = [];
    for (let h = 0; h < 24; h++) {
      // Six readings an hour in the morning (bins 00:00–11:00) at 60.2, one an hour after at 9.8.
      const minutes = h < 12 ? [0, 10, 20, 30, 40, 50] : [30];
      for (const m of minutes)
        rows.push(['env-a', 'pm25', local(`2026-11-18T${pad(h)}:${pad(m)}:00`), h < 12 ? 60.2 : 9.8]);
    }
    await store(rows);
    await refresher().runUntilIdle();
    // (12·60.2 + 12·9.8) / 24 = 35 → 50 + 50·(35 − 25)/25 = 70. (Weighted by readings:
    // (72·60.2 + 12·9.8) / 84 = 53 → 100 + 50·3/30 = 105.)
    expect((await inputs('2026-11-18'))?.pm25_24h).toBeCloseTo(35, 9);
    expect(await aqiOf('2026-11-18')).toBe(70);
  });

  it('recomputes the next day when a late reading lands in the last hours of the evening before', async () => {
    await device('env-a', 'environment', 'phuong-hoi-an');
    await store([
      ...hourly('env-a', 'o3', '2026-11-18', 0, Array(24).fill(20)),
      ...hourly('env-a', 'pm25', '2026-11-18', 0, Array(24).fill(10)),
      ...hourly('env-a', 'o3', '2026-11-17', 16, [20]),
    ]);
    const r = refresher();
    await r.runUntilIdle();
    expect(await aqiOf('2026-11-18')).toBe(20);
    // Late: O3 of 300 µg/m³ in the bins 17:00–23:00 of 2026-11-17, after both days were published.
    await store(hourly('env-a', 'o3', '2026-11-17', 17, Array(7).fill(300)));
    await r.runUntilIdle();
    expect(await aqiOf('2026-11-18')).toBe(229); // as in case 1
  });
});

describe('noise minutes under the QCVN 26 version in force', () => {
  it('judge each hour by the version in force then, across the changeover at 14 Nov 2025 00:00', async () => {
    await device('noise-1', 'noise', 'phuong-hoi-an', 'normal');
    // The 2025 table is not confirmed (its values stand in from 2010), so a made-up one shows the
    // switch: night limit of a normal area 55 dBA (2010), 65 dBA (the edited 2025).
    const edited: NoiseStandard[] = [
      noiseStandards[0]!,
      { ...noiseStandards[1]!, limits: { special: { day: 50, night: 40 }, normal: { day: 75, night: 65 } } },
    ];
    const minute = (text: string): [string, string, Date, number] => ['noise-1', 'laeq_db', local(text), 60];
    await store([
      minute('2025-11-13T23:58:00'), // 2010, night: 60 > 55, over
      minute('2025-11-13T23:59:00'),
      minute('2025-11-14T00:00:00'), // 2025, night: 60 ≤ 65, not over
      minute('2025-11-14T00:01:00'),
    ]);
    const hours = [local('2025-11-13T23:00:00'), local('2025-11-14T00:00:00')];
    await inTransaction(pool, (client) =>
      replaceHourIndicators(client, hours, {
        dark: [],
        noise: hours.map((hour) => ({ hour, ...noiseHourLimits(hour, edited) })),
        noiseReadingMinutes: 1,
        pollutants: [],
        aggregations: [{ indicator: 'noise_exceedance_minutes', aggregation: 'total' }],
        mostOfTheHour: 0.5,
      }),
    );
    const { rows } = await pool.query(
      `SELECT hour, dim, sum FROM indicator_hourly
       WHERE indicator = 'noise_exceedance_minutes' AND ward = 'phuong-hoi-an' ORDER BY hour`,
    );
    expect(rows.map((r) => [r.hour.toISOString(), r.dim, r.sum])).toEqual([
      [hours[0]!.toISOString(), 'night', 2],
      [hours[1]!.toISOString(), 'night', 0],
    ]);
  });
  it('name in the feed the version each period was judged by: both for a month across the changeover', async () => {
    await device('noise-1', 'noise', 'phuong-hoi-an', 'normal');
    await store([
      ['noise-1', 'laeq_db', local('2025-11-13T22:00:00'), 60],
      ['noise-1', 'laeq_db', local('2025-11-14T22:00:00'), 60],
    ]);
    const feeds = createFeeds({
      pool,
      catalog: loadCatalog(),
      log,
      publishDelayS: 600,
      clock: () => new Date('2025-12-02T00:00:00Z'),
    });
    try {
      await feeds.refresher.runUntilIdle();
      const read = async (period: 'day' | 'month') =>
        (
          await feeds.indicators({
            city: 'hoi-an',
            period,
            from: local('2025-11-13T00:00:00'),
            to: local('2025-11-15T00:00:00'),
            indicator: ['noise_exceedance_minutes', 'pm25_mean'],
          })
        ).items.map((i) => [i.period, i.indicator, i.dimension, i.standard]);
      expect(await read('day')).toEqual([
        ['2025-11-13', 'noise_exceedance_minutes', 'night', 'QCVN 26:2010/BTNMT'],
        ['2025-11-14', 'noise_exceedance_minutes', 'night', 'QCVN 26:2025/BNNMT'],
      ]);
      expect(await read('month')).toEqual([
        ['2025-11', 'noise_exceedance_minutes', 'night', 'QCVN 26:2010/BTNMT, QCVN 26:2025/BNNMT'],
      ]);
    } finally {
      await feeds.stop();
    }
  });
});
