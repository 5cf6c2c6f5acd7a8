// The 7- and 30-day charts read the hourly rollup: the same buckets raw telemetry gives, whether the
// readings were folded into the rollup yet or not, with the partial hours at the range's ends from raw,
// and still there once raw telemetry of those days is gone (retention keeps rollups far longer).
import { beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, type Pool } from '../../src/storage/pool.ts';
import { foldHourlyDeltas } from '../../src/storage/rollups.ts';
import { insertTelemetryRows, readBucketed } from '../../src/storage/telemetry.ts';
import { readBucketedFromRollup, rollupServes, wholeHours } from '../../src/storage/telemetryRollupRead.ts';
import { useMigratedDatabase } from '../helpers/database.ts';

let pool: Pool;
useMigratedDatabase((p) => {
  pool = p;
});

const device = 'ha-ma-env-9902';
const minuteMs = 60_000;
// Three days of minute readings, starting at 10:17:30 UTC so neither end of a range is on the hour.
const start = Date.parse('2026-11-10T10:17:30Z');
const minutes = 3 * 24 * 60;
// Quarters and integers only: every sum is exact in float8, so raw and rollup averages compare equal.
const pm25 = (i: number) => 10 + (i % 37) * 0.25;
const temp = (i: number) => 25 + (i % 11);

async function store(fromMinute: number, toMinute: number) {
  const rows = {
    time: [] as Date[],
    deviceId: [] as string[],
    metric: [] as string[],
    value: [] as number[],
  };
  for (let i = fromMinute; i < toMinute; i++) {
    for (const [metric, value] of [
      ['pm25', pm25(i)],
      ['temp_c', temp(i)],
    ] as const) {
      rows.time.push(new Date(start + i * minuteMs));
      rows.deviceId.push(device);
      rows.metric.push(metric);
      rows.value.push(value);
    }
  }
  await insertTelemetryRows(pool, rows);
}

const foldAll = () => inTransaction(pool, (client) => foldHourlyDeltas(client));

const query = (bucketSeconds: number, metrics?: string[]) => ({
  deviceId: device,
  metrics,
  from: new Date(start + 5 * minuteMs),
  to: new Date(start + (minutes - 7) * minuteMs),
  limit: 20_000,
  bucketSeconds,
});

beforeAll(async () => {
  await pool.query(
    `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash)
     VALUES ($1, 'environment', 'hoi-an', 'phuong-hoi-an', 15.877, 108.328, $1, 'x')`,
    [device],
  );
  // The first two days folded into the rollup, the last one still waiting for the refresher.
  await store(0, 2 * 24 * 60);
  await foldAll();
  await store(2 * 24 * 60, minutes);
});

describe('buckets of whole hours from the hourly rollup', () => {
  it('serves only whole-hour buckets, over the whole hours of a range', () => {
    expect([300, 900, 1800, 5400].map(rollupServes)).toEqual([false, false, false, false]);
    expect([3600, 21_600, 86_400, 604_800].map(rollupServes)).toEqual([true, true, true, true]);
    expect(wholeHours(new Date('2026-11-10T10:17:30Z'), new Date('2026-11-10T13:00:00Z'))).toEqual({
      start: new Date('2026-11-10T11:00:00Z'),
      end: new Date('2026-11-10T13:00:00Z'),
    });
    expect(wholeHours(new Date('2026-11-10T10:17:30Z'), new Date('2026-11-10T10:59:00Z'))).toBeUndefined();
  });

  it.each([
    ['1h', 3600, ['pm25']],
    ['6h (the 30-day chart)', 21_600, ['pm25', 'temp_c']],
    ['1d', 86_400, undefined],
  ])(
    'gives what raw bucketing gives for %s buckets, folded or not',
    async (_name, bucketSeconds, metrics) => {
      const raw = await readBucketed(pool, query(bucketSeconds, metrics));
      const rolled = await readBucketedFromRollup(pool, query(bucketSeconds, metrics));
      expect(raw.length).toBeGreaterThan(2);
      expect(rolled).toEqual(raw);
    },
  );

  it('does not answer buckets shorter than an hour (the caller reads raw telemetry)', async () => {
    expect(await readBucketedFromRollup(pool, query(900))).toBeUndefined();
  });

  it('still charts days whose raw telemetry is gone, from their rollup', async () => {
    await foldAll();
    const before = await readBucketed(pool, query(21_600, ['pm25']));
    // Retention drops raw telemetry of whole days; the rollup stays (ROLLUP_RETENTION_DAYS).
    const cut = new Date(start + 24 * 60 * minuteMs);
    await pool.query('DELETE FROM telemetry_messages WHERE device_id = $1 AND time < $2', [
      device,
      new Date(Math.floor(cut.getTime() / 3_600_000) * 3_600_000),
    ]);
    const rawAfter = await readBucketed(pool, query(21_600, ['pm25']));
    expect(rawAfter.length).toBeLessThan(before.length);
    const rolled = await readBucketedFromRollup(pool, query(21_600, ['pm25']));
    // Only the partial hour at the start is read from raw: its 38 readings (10:22:30 to 10:59:30) are
    // gone; every whole hour still counts, from the rollup.
    expect(rolled?.slice(1)).toEqual(before.slice(1));
    expect(rolled?.[0]?.count).toBe(before[0]!.count - 38);
  });
});
