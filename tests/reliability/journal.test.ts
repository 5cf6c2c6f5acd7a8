// The local journal alone (segments, framing, torn tails, its size bound) and the batch writer on it
// through a database outage made by a TCP proxy: writes are answered from the journal while the
// database is cut, and land in it once, in order, when it is back.
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJournal } from '../../src/ingest/journal.ts';
import { decodeRequest, encodeRequest } from '../../src/ingest/journalRecords.ts';
import { createTelemetryWriter } from '../../src/ingest/writer.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { createPool } from '../../src/storage/pool.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { eventually } from '../helpers/mqtt.ts';
import { hourlyRollupCount } from '../helpers/rollupCount.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.ts';

const log = createLogger('silent');
let dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ioc-journal-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

const record = (i: number) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(i % 50) }));

describe('the journal', () => {
  it('gives back every synced record in order across segments, and deletes only released segments', async () => {
    const dir = await tempDir();
    const journal = createJournal({ dir, maxBytes: 10_000_000, segmentBytes: 4_096 });
    await journal.open();
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => journal.append(record(i))));
    expect(journal.stats().segments).toBeGreaterThan(5);
    let cursor = journal.head();
    const seen: number[] = [];
    for (;;) {
      const { records, next } = await journal.read(cursor, 77);
      if (records.length === 0) break;
      for (const r of records) seen.push(JSON.parse(r.toString()).i);
      cursor = next;
      if (seen.length === 500) {
        const before = journal.stats().segments;
        await journal.release(cursor);
        expect(journal.stats().segments).toBeLessThan(before);
      }
    }
    expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
    await journal.release(cursor);
    expect(journal.empty()).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    await journal.close();
  });

  it('after a crash keeps every whole record and cuts a torn one off the end', async () => {
    const dir = await tempDir();
    const first = createJournal({ dir, maxBytes: 10_000_000 });
    await first.open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => first.append(record(i))));
    await first.close();
    // A write the process died in the middle of: a header announcing more than follows.
    const [name] = await readdir(dir);
    const path = join(dir, name!);
    const size = (await stat(path)).size;
    const handle = await open(path, 'a');
    const torn = Buffer.alloc(12);
    torn.writeUInt32LE(500, 0);
    await handle.write(torn);
    await handle.close();

    const second = createJournal({ dir, maxBytes: 10_000_000 });
    const found = await second.open();
    expect(found).toEqual({ records: 100, bytes: size, discardedBytes: 12 });
    await second.append(record(100));
    const { records } = await second.read(second.head(), 1_000);
    expect(records.map((r) => JSON.parse(r.toString()).i)).toEqual(Array.from({ length: 101 }, (_, i) => i));
    await second.close();
  });

  it('ends a segment at a record whose checksum does not match', async () => {
    const dir = await tempDir();
    const first = createJournal({ dir, maxBytes: 10_000_000 });
    await first.open();
    for (let i = 0; i < 10; i++) await first.append(record(i));
    await first.close();
    const [name] = await readdir(dir);
    const path = join(dir, name!);
    const handle = await open(path, 'r+');
    // Flip a byte inside the 6th record's payload.
    const { records } = await (async () => {
      const j = createJournal({ dir, maxBytes: 10_000_000 });
      await j.open();
      const r = await j.read(j.head(), 5);
      await j.close();
      return r;
    })();
    const offset = records.reduce((sum, r) => sum + 8 + r.length, 0) + 8 + 2;
    await handle.write(Buffer.from('#'), 0, 1, offset);
    await handle.close();
    const second = createJournal({ dir, maxBytes: 10_000_000 });
    expect((await second.open()).records).toBe(5);
    await second.close();
  });

  it('holds appends back when full, and lets them in once records are released', async () => {
    const dir = await tempDir();
    const onFull: number[] = [];
    const journal = createJournal({ dir, maxBytes: 2_000, segmentBytes: 500, onFull: (b) => onFull.push(b) });
    await journal.open();
    let answered = 0;
    const appends = Array.from({ length: 60 }, (_, i) => journal.append(record(i)).then(() => answered++));
    // Until some appends are answered and the next one waits for room (nothing is released yet).
    await eventually(
      async () => answered > 0 && journal.stats().full,
      (held) => held,
      10_000,
    );
    expect(journal.stats().full).toBe(true);
    expect(answered).toBeLessThan(60);
    expect(journal.full()).toBe(true);
    expect(onFull.length).toBeGreaterThan(0);
    expect(journal.stats().bytes).toBeLessThanOrEqual(2_000);
    let cursor = journal.head();
    const seen: number[] = [];
    while (seen.length < 60) {
      const { records, next } = await journal.read(cursor, 10);
      for (const r of records) seen.push(JSON.parse(r.toString()).i);
      cursor = next;
      await journal.release(cursor);
      if (records.length === 0) await journal.synced();
    }
    await Promise.all(appends);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await journal.close();
  });

  it('encodes a write and decodes it with its dates', () => {
    const time = new Date('2026-11-22T10:00:00.123Z');
    const request = {
      telemetry: { time, deviceId: 'd', metrics: { pm25: 1.5 } },
      status: { deviceId: 'd', time, online: true, lastWill: false, details: { fw: '1.0' } },
      event: { deviceId: 'd', time, type: 'tamper', data: {}, receivedAt: time },
    };
    expect(decodeRequest(encodeRequest(request))).toEqual(request);
  });

  it("keeps a reading's metrics once, without the text ingest cut from its payload", () => {
    const time = new Date('2026-11-22T10:00:00.123Z');
    const telemetry = { time, deviceId: 'd', metrics: { pm25: 1.5 } };
    const record = encodeRequest({ telemetry: { ...telemetry, json: '{"pm25":1.5}' } });
    expect(record.toString()).not.toContain('json');
    expect(decodeRequest(record)).toEqual({ telemetry });
  });
});

describe('the writer on its journal, through a database outage', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  beforeAll(async () => {
    database = await createTestDatabase();
    const direct = createPool(database.url);
    await migrate(direct, log);
    await direct.query(
      `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash)
       VALUES ('dev-s', 'environment', 'tay-ninh', 'phuong-tan-ninh', 11.3, 106.1, 's', 'x')`,
    );
    await direct.end();
    const u = new URL(database.url);
    proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
  });
  afterAll(async () => {
    await proxy.close();
    await database.drop();
  });

  it('answers writes from the journal while the database is cut, then stores each once, in order', {
    timeout: 60_000,
  }, async () => {
    const dataDir = await tempDir();
    const pool = createPool(proxy.url(database.url));
    const metrics = createMetrics();
    const options = {
      batchRows: 50,
      flushMs: 5,
      queueLimit: 10_000,
      journal: { dir: join(dataDir, 'journal'), maxBytes: 50_000_000 },
      journalAfterMs: 500,
    };
    const writer = createTelemetryWriter({ pool, log, metrics, options });
    await writer.start();
    const time = (i: number) => new Date(Date.UTC(2026, 10, 22, 1, 0, 0) + i * 1000);
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        writer.write({ telemetry: { time: time(i), deviceId: 'dev-w', metrics: { pm25: i } } }),
      ),
    );
    expect(writer.degraded()).toBe(false);

    proxy.cut();
    const during = Array.from({ length: 1_000 }, (_, i) =>
      writer.write({ telemetry: { time: time(100 + i), deviceId: 'dev-w', metrics: { pm25: i, pm10: i } } }),
    );
    // Statuses and events too, and one of each twice (a device resending).
    for (const online of [false, true, true]) {
      during.push(
        writer.write({
          status: { deviceId: 'dev-s', time: time(online ? 2 : 1), online, lastWill: !online, details: {} },
        }),
      );
      during.push(
        writer.write({
          event: { deviceId: 'dev-s', time: time(3), type: 'tamper', data: { n: 1 }, receivedAt: time(3) },
        }),
      );
    }
    await Promise.all(during); // answered with the database still cut: from the journal
    expect(writer.degraded()).toBe(true);
    expect(writer.accepting()).toBe(true); // the journal has room: writes still go in at once
    expect((await metrics.ingestDegraded.get()).values[0]?.value).toBe(1);
    expect((await metrics.journalBytes.get()).values[0]?.value).toBeGreaterThan(0);

    proxy.resume();
    await eventually(
      async () => writer.degraded(),
      (d) => !d,
      30_000,
    );
    expect(writer.degraded()).toBe(false);
    expect(await readdir(join(dataDir, 'journal'))).toEqual([]);
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    const { rows } = await check.query(
      `SELECT (SELECT count(*)::int FROM telemetry WHERE device_id = 'dev-w') AS raw,
              (SELECT count(*)::int FROM device_status_changes WHERE device_id = 'dev-s') AS statuses,
              (SELECT count(*)::int FROM device_events WHERE device_id = 'dev-s') AS events,
              (SELECT online FROM devices WHERE id = 'dev-s') AS online`,
    );
    const hourly = await hourlyRollupCount(check, 'dev-w');
    await check.end();
    expect({ ...rows[0], hourly }).toEqual({
      raw: 2_100,
      hourly: 2_100,
      statuses: 2,
      events: 1,
      online: true,
    });
    await writer.stop();
    await pool.end();
  });

  it('moves batches to the journal when the database hangs, and replays them once it answers', {
    timeout: 60_000,
  }, async () => {
    const dataDir = await tempDir();
    const pool = createPool(proxy.url(database.url));
    const metrics = createMetrics();
    const writer = createTelemetryWriter({
      pool,
      log,
      metrics,
      options: {
        batchRows: 50,
        flushMs: 5,
        queueLimit: 10_000,
        journal: { dir: join(dataDir, 'journal'), maxBytes: 50_000_000 },
        journalAfterMs: 300,
      },
    });
    await writer.start();
    await writer.write({ telemetry: { time: new Date(), deviceId: 'dev-h', metrics: { pm25: 1 } } });
    proxy.pause();
    const started = Date.now();
    const base = Date.UTC(2026, 10, 22, 5, 0, 0);
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        writer.write({
          telemetry: { time: new Date(base + i * 1000), deviceId: 'dev-h', metrics: { pm25: i } },
        }),
      ),
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(writer.degraded()).toBe(true);
    proxy.resume();
    await writer.stop(); // graceful: gives the replay time to finish
    expect(writer.degraded()).toBe(false);
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    const { rows } = await check.query(
      "SELECT count(*)::int AS raw FROM telemetry WHERE device_id = 'dev-h'",
    );
    const hourly = await hourlyRollupCount(check, 'dev-h');
    await check.end();
    expect({ ...rows[0], hourly }).toEqual({ raw: 301, hourly: 301 });
    await pool.end();
  });
});
