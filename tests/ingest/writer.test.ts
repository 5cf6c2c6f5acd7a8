import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { createTelemetryWriter } from '../../src/ingest/writer.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import type { Pool } from '../../src/storage/pool.ts';
import { useMigratedDatabase } from '../helpers/database.ts';
import { eventually } from '../helpers/mqtt.ts';

const log = createLogger('silent');
let pool: Pool;
const count = async () => (await pool.query('SELECT count(*)::int AS n FROM telemetry')).rows[0].n as number;
const reading = (i: number, deviceId = 'dev-1') => ({
  telemetry: { time: new Date(Date.UTC(2026, 10, 22, 0, 0, i)), deviceId, metrics: { pm25: i, pm10: i * 2 } },
});

let databaseUrl: string;
useMigratedDatabase((p, url) => {
  pool = p;
  databaseUrl = url;
});

type WriterOptions = Parameters<typeof createTelemetryWriter>[0]['options'];
/** A writer on the test database with these options. */
const writerWith = (options: WriterOptions, metrics = createMetrics()) =>
  createTelemetryWriter({ pool, log, metrics, options });

/** A writer that flushes every 5 ms or every `batchRows` rows, with room for any test's burst. */
const quickWriter = (metrics: ReturnType<typeof createMetrics>, batchRows: number) =>
  writerWith({ batchRows, flushMs: 5, queueLimit: 10_000 }, metrics);

describe('the batch writer', () => {
  it('writes a burst in a few batches and resolves each write once its rows are stored', async () => {
    const metrics = createMetrics();
    const writer = quickWriter(metrics, 100);
    await Promise.all(Array.from({ length: 500 }, (_, i) => writer.write(reading(i))));
    expect(await count()).toBe(1000);
    const flushes = (await metrics.flushSeconds.get()).values.find(
      (v) => v.metricName === 'ioc_ingest_flush_seconds_count',
    )?.value;
    expect(flushes).toBeLessThanOrEqual(12); // 1000 rows in batches of ~100, not 500 round-trips
  });

  it('stores a redelivered burst once, rewriting the batch that held it and sending the next ones straight to the conflict-aware insert', async () => {
    const metrics = createMetrics();
    const writer = quickWriter(metrics, 1_000);
    const rewritten = async () => (await metrics.batchesRewritten.get()).values[0]?.value ?? 0;
    const burst = (from: number) =>
      Promise.all(Array.from({ length: 10 }, (_, i) => writer.write(reading(from + i, 'dev-redelivered'))));
    await burst(0);
    expect(await rewritten()).toBe(0);
    await burst(5); // 5 redelivered, 5 new: one batch, written twice
    expect(await rewritten()).toBe(1);
    await burst(10); // 5 redelivered, 5 new, within the cautious while: written once
    expect(await rewritten()).toBe(1);
    const { rows } = await pool.query(
      "SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'dev-redelivered'",
    );
    expect(rows[0].n).toBe(40); // 20 messages of 2 metrics, each once
    const duplicates = (await metrics.rowsDuplicate.get()).values[0]?.value;
    expect(duplicates).toBe(20);
    await writer.stop();
  });

  it('shows the rows waiting in its queue whenever the gauge is read, and none once they are stored', async () => {
    const metrics = createMetrics();
    const writer = writerWith({ batchRows: 1_000, flushMs: 60_000, queueLimit: 10_000 }, metrics);
    const queued = async () => (await metrics.queueRows.get()).values[0]?.value;
    const writes = Array.from({ length: 3 }, (_, i) => writer.write(reading(100 + i, 'dev-gauge')));
    expect(await queued()).toBe(6); // 3 messages of 2 metrics, held by the minute-long batching delay
    await writer.drain();
    await Promise.all(writes);
    expect(await queued()).toBe(0);
    await writer.stop();
  });

  it('holds writers back when the queue is full instead of growing without bound', async () => {
    const writer = writerWith({ batchRows: 10, flushMs: 50, queueLimit: 20 });
    let highest = 0;
    const accepting: boolean[] = [];
    const writes = Array.from({ length: 200 }, (_, i) => {
      const done = writer.write(reading(1000 + i, 'dev-2'));
      highest = Math.max(highest, writer.pending());
      accepting.push(writer.accepting());
      return done;
    });
    expect(highest).toBeLessThanOrEqual(22); // limit plus the write that crossed it
    // Room for 9 writes of 2 rows; the 10th fills the queue, and the writes after it wait for room.
    expect(accepting.indexOf(false)).toBe(9);
    expect(accepting.slice(9).every((a) => !a)).toBe(true);
    await writer.drain();
    expect(writer.pending()).toBe(0);
    expect(writer.accepting()).toBe(true);
    await Promise.all(writes);
    expect(
      (await pool.query("SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'dev-2'")).rows[0].n,
    ).toBe(400);
  });

  it('holds QoS 0 writers back like the rest while few wait, and drops (and counts) them past that line', async () => {
    const metrics = createMetrics();
    const writer = writerWith({ batchRows: 10, flushMs: 50, queueLimit: 20 }, metrics);
    // 20 rows fill the queue (10 writes of 2 metrics); 5 QoS 0 writes may then wait (a quarter of the
    // limit); the 5 after them find the line full.
    const writes = Array.from({ length: 20 }, (_, i) =>
      writer.write(reading(3000 + i, 'dev-qos0'), false, true),
    );
    expect((await metrics.messagesDropped.get()).values[0]?.value ?? 0).toBe(5);
    await Promise.all(writes);
    await writer.drain();
    expect(
      (await pool.query("SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'dev-qos0'")).rows[0].n,
    ).toBe(30);
  });

  it('hands rows the database refuses as such back to their writers after a few attempts, and stores the batches after them', async () => {
    const metrics = createMetrics();
    const writer = quickWriter(metrics, 100);
    // PostgreSQL text cannot hold U+0000: a data exception (22xxx), not an outage.
    const refused = writer.write(reading(7000, 'dev-\u0000'), true);
    const rejected = refused.then(
      () => undefined,
      (error: { code?: string }) => error,
    );
    await writer.write(reading(7001, 'dev-after-refused'), true);
    expect((await rejected)?.code).toMatch(/^22/);
    expect((await metrics.storageErrors.get()).values[0]?.value).toBe(3);
    expect(
      (await pool.query("SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'dev-after-refused'"))
        .rows[0].n,
    ).toBe(2);
    await writer.stop();
  });

  it('keeps accepted readings through a database outage and stores them when it returns', {
    timeout: 30_000,
  }, async () => {
    const name = new URL(databaseUrl).pathname.slice(1);
    const admin = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
    await admin.connect();
    const metrics = createMetrics();
    const writer = writerWith({ batchRows: 50, flushMs: 5, queueLimit: 10_000 }, metrics);
    // The outage: nobody may connect, and the pool's open connections are cut.
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    let stored = false;
    const writes = Promise.all(
      Array.from({ length: 100 }, (_, i) => writer.write(reading(5000 + i, 'dev-3'))),
    ).then(() => {
      stored = true;
    });
    // Until the writer has met the outage and tried again: the rows wait in its queue, unanswered.
    const failures = await eventually(
      async () => (await metrics.storageErrors.get()).values[0]?.value ?? 0,
      (n) => n >= 2,
      10_000,
    );
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(stored).toBe(false);
    expect(writer.pending()).toBe(200);
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await admin.end();
    await writes;
    expect(
      (await pool.query("SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'dev-3'")).rows[0].n,
    ).toBe(200);
  });

  it("writes a large fleet's latest values in several statements, every value, and shows them as unflushed until then", async () => {
    // 3,000 devices × 2 metrics: more than one chunk of the latest-values flush.
    const ids = Array.from({ length: 3_000 }, (_, i) => `latest-${String(i).padStart(4, '0')}`);
    await pool.query(
      `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash)
       SELECT id, 'environment', 'tay-ninh', 'phuong-tan-ninh', 11.3, 106.1, id, 'x' FROM unnest($1::text[]) AS id`,
      [ids],
    );
    const writer = writerWith({ batchRows: 2_000, flushMs: 5, queueLimit: 100_000, latestFlushMs: 60_000 });
    await Promise.all(ids.map((id, i) => writer.write(reading(i % 60, id))));
    expect(
      writer
        .unflushedLatest('latest-2999')
        .map((v) => v.metric)
        .sort(),
    ).toEqual(['pm10', 'pm25']);
    let latestStatements = 0;
    const query = pool.query.bind(pool);
    pool.query = ((text: unknown, ...rest: unknown[]) => {
      if (typeof text === 'string' && text.includes('INSERT INTO device_latest')) latestStatements++;
      return (query as (...args: unknown[]) => unknown)(text, ...rest);
    }) as typeof pool.query;
    try {
      await writer.drain();
    } finally {
      pool.query = query;
    }
    expect(latestStatements).toBe(3); // 6,000 values in chunks of 2,500
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM device_latest WHERE device_id LIKE 'latest-%'",
    );
    expect(rows[0]!.n).toBe(6_000);
    expect(writer.unflushedLatest('latest-2999')).toEqual([]);
    await writer.stop();
  });
});
