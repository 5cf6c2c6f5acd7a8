// Raw telemetry stored one row per message (migration 009): what a redelivery, a second message with
// the same ts and an upgrade with narrow rows already stored do to the raw table and the rollup.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { defaultMigrationsDir, migrate, readMigrations } from '../../src/storage/migrate.ts';
import { createPool, type Pool } from '../../src/storage/pool.ts';
import { foldHourlyDeltas } from '../../src/storage/rollups.ts';
import { insertNewTelemetry, insertTelemetry, readRaw, telemetryBatch } from '../../src/storage/telemetry.ts';
import { createTestDatabase, useMigratedDatabase } from '../helpers/database.ts';

const log = createLogger('silent');
let pool: Pool;
const at = new Date('2026-11-22T03:00:00Z');

useMigratedDatabase((p) => {
  pool = p;
});

async function hourly(deviceId: string) {
  const client = await pool.connect();
  try {
    await foldHourlyDeltas(client);
  } finally {
    client.release();
  }
  const { rows } = await pool.query(
    'SELECT metric, count, sum FROM telemetry_hourly WHERE device_id = $1 ORDER BY metric',
    [deviceId],
  );
  return rows;
}

/** A device's raw readings at `at`, as [metric, value] pairs in metric order. */
async function rawAt(deviceId: string) {
  const raw = await readRaw(pool, {
    deviceId,
    metrics: undefined,
    from: at,
    to: new Date(+at + 1),
    limit: 10,
  });
  return raw.map((r) => [r.metric, r.value]);
}

describe('telemetry stored one row per message', () => {
  it('stores a message once, counting its readings, and a redelivery adds nothing anywhere', async () => {
    const batch = telemetryBatch([{ deviceId: 'm-1', time: at, metrics: { pm25: 41.5, temp_c: 31 } }]);
    expect(await insertTelemetry(pool, batch)).toBe(2);
    expect(await insertTelemetry(pool, batch)).toBe(0);
    expect(await rawAt('m-1')).toEqual([
      ['pm25', 41.5],
      ['temp_c', 31],
    ]);
    expect(await hourly('m-1')).toEqual([
      { metric: 'pm25', count: 1, sum: 41.5 },
      { metric: 'temp_c', count: 1, sum: 31 },
    ]);
  });

  it("stores a payload's own metrics text as it stores the object: the same values, read and folded", async () => {
    const text = '{ "pm25" : 41.50, "temp_c":-3,"humidity":70.123456789012345 }';
    const metrics = JSON.parse(text) as Record<string, number>; // humidity: the double nearest the text
    const batch = telemetryBatch([{ deviceId: 'm-text', time: at, metrics, json: text }]);
    expect(await insertTelemetry(pool, batch)).toBe(3);
    expect(await rawAt('m-text')).toEqual([
      ['humidity', metrics.humidity],
      ['pm25', 41.5],
      ['temp_c', -3],
    ]);
    expect(await hourly('m-text')).toEqual([
      { metric: 'humidity', count: 1, sum: metrics.humidity },
      { metric: 'pm25', count: 1, sum: 41.5 },
      { metric: 'temp_c', count: 1, sum: -3 },
    ]);
  });

  it('writes a batch of new messages with the plain insert, and one holding a stored message with the conflict-aware one', async () => {
    const first = telemetryBatch([
      { deviceId: 'm-new', time: at, metrics: { pm25: 10 } },
      { deviceId: 'm-new-2', time: at, metrics: { pm25: 20, temp_c: 30 } },
    ]);
    expect(await insertNewTelemetry(pool, first)).toEqual({ readings: 3, conflicted: false });
    // Redelivered beside a new message and a second ts of a stored one: the failed plain insert left
    // nothing behind, and the rewrite stores only what is new, once.
    const mixed = telemetryBatch([
      { deviceId: 'm-new', time: at, metrics: { pm25: 10, no2: 4 } },
      { deviceId: 'm-new-2', time: at, metrics: { pm25: 20, temp_c: 30 } },
      { deviceId: 'm-new', time: new Date(+at + 60_000), metrics: { pm25: 11 } },
    ]);
    expect(await insertNewTelemetry(pool, mixed)).toEqual({ readings: 2, conflicted: true });
    expect(await insertNewTelemetry(pool, mixed)).toEqual({ readings: 0, conflicted: true });
    const { rows } = await pool.query(
      "SELECT device_id, time, metrics FROM telemetry_messages WHERE device_id LIKE 'm-new%' ORDER BY device_id, time",
    );
    expect(rows).toEqual([
      { device_id: 'm-new', time: at, metrics: { pm25: 10, no2: 4 } },
      { device_id: 'm-new', time: new Date(+at + 60_000), metrics: { pm25: 11 } },
      { device_id: 'm-new-2', time: at, metrics: { pm25: 20, temp_c: 30 } },
    ]);
    expect(await hourly('m-new')).toEqual([
      { metric: 'no2', count: 1, sum: 4 },
      { metric: 'pm25', count: 2, sum: 21 },
    ]);
    expect(await hourly('m-new-2')).toEqual([
      { metric: 'pm25', count: 1, sum: 20 },
      { metric: 'temp_c', count: 1, sum: 30 },
    ]);
  });

  it('passes on an error that is not a stored message: it is not retried as a conflict', async () => {
    const broken = { json: '[["m-broken", "not a time", {"pm25": 1}]]', messages: 1, readings: 1 };
    await expect(insertNewTelemetry(pool, broken)).rejects.toMatchObject({ code: '22P02' });
  });

  it('adds only the metrics a second message with the same ts brings: the first value of a metric wins', async () => {
    await insertTelemetry(pool, telemetryBatch([{ deviceId: 'm-2', time: at, metrics: { pm25: 10 } }]));
    const second = telemetryBatch([
      { deviceId: 'm-2', time: at, metrics: { pm25: 99, noise: 60 } },
      { deviceId: 'm-2', time: new Date(+at + 60_000), metrics: { pm25: 12 } },
    ]);
    expect(await insertTelemetry(pool, second)).toBe(2); // noise at `at`, and pm25 a minute later
    expect(await insertTelemetry(pool, second)).toBe(0);
    const { rows } = await pool.query(
      'SELECT time, metrics FROM telemetry_messages WHERE device_id = $1 ORDER BY time',
      ['m-2'],
    );
    expect(rows).toEqual([
      { time: at, metrics: { pm25: 10, noise: 60 } },
      { time: new Date(+at + 60_000), metrics: { pm25: 12 } },
    ]);
    expect(await hourly('m-2')).toEqual([
      { metric: 'noise', count: 1, sum: 60 },
      { metric: 'pm25', count: 2, sum: 22 },
    ]);
  });

  it('stores two writers racing with the same messages once', async () => {
    const messages = Array.from({ length: 500 }, (_, i) => ({
      deviceId: `m-race-${i % 50}`,
      time: new Date(+at + Math.floor(i / 50) * 1000),
      metrics: { pm25: i, pm10: i * 2 },
    }));
    const batch = telemetryBatch(messages);
    const stored = await Promise.all([insertTelemetry(pool, batch), insertTelemetry(pool, batch)]);
    expect(stored[0]! + stored[1]!).toBe(1_000);
    const { rows } = await pool.query(
      "SELECT count(*)::int AS n FROM telemetry WHERE device_id LIKE 'm-race-%'",
    );
    expect(rows[0].n).toBe(1_000);
  });

  it('moves narrow rows stored before the upgrade into messages, and reads them back the same', async () => {
    const older = await createTestDatabase();
    const olderPool = createPool(older.url);
    const dir = await mkdtemp(join(tmpdir(), 'ioc-migrations-'));
    try {
      for (const m of (await readMigrations()).filter((m) => m.version <= 8)) {
        await cp(join(defaultMigrationsDir, `${m.name}.sql`), join(dir, `${m.name}.sql`));
      }
      await migrate(olderPool, log, dir);
      await olderPool.query(
        `INSERT INTO telemetry (time, device_id, metric, value) VALUES
         ($1, 'old-1', 'pm25', 30), ($1, 'old-1', 'pm10', 50), ($2, 'old-1', 'pm25', 31)`,
        [at, new Date(+at + 60_000)],
      );
      expect(await migrate(olderPool, log)).toContain('009_telemetry_messages');
      const { rows } = await olderPool.query(
        'SELECT time, metric, value FROM telemetry ORDER BY time, metric',
      );
      expect(rows).toEqual([
        { time: at, metric: 'pm10', value: 50 },
        { time: at, metric: 'pm25', value: 30 },
        { time: new Date(+at + 60_000), metric: 'pm25', value: 31 },
      ]);
      expect((await olderPool.query('SELECT count(*)::int AS n FROM telemetry_messages')).rows[0].n).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await olderPool.end();
      await older.drop();
    }
  });
});
