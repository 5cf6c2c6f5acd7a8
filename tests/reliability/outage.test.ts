// The whole app on a database behind a proxy the test cuts: devices keep being acknowledged (from the
// journal), live readings keep flowing, /readyz says degraded; a small journal fills and holds the
// publishers back (QoS 0 dropped and counted); on recovery every acknowledged reading lands once.
// Then overload: a flooding device is throttled and reported, its neighbour unaffected.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/ingest/journalRecords.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { connectDevice, eventually } from '../helpers/mqtt.ts';
import { lostReadings, startQos1Load } from '../helpers/qos1Load.ts';
import { hourlyRollupCount } from '../helpers/rollupCount.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.ts';
import { floodStation, metricValue } from '../limits/flooder.ts';

let database: TestDatabase;
let proxy: TcpProxy;
let db: pg.Client;
beforeAll(async () => {
  database = await createTestDatabase();
  const u = new URL(database.url);
  proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
});
afterAll(async () => {
  await db.end();
  await proxy.close();
  await database.drop();
});

describe('a database outage under load', () => {
  it('acknowledges from the journal, says degraded, keeps live data, and stores every reading once', {
    timeout: 120_000,
  }, async () => {
    const app = await startTestApp({ DATABASE_URL: proxy.url(database.url), JOURNAL_AFTER_MS: '500' });
    try {
      const devices = [];
      for (let i = 0; i < 5; i++) {
        const { secret } = await app.registry.create(floodStation(`tn-out-env-${i}`));
        devices.push({ id: `tn-out-env-${i}`, secret });
      }
      let live = 0;
      app.bus.on('reading', () => live++);
      const load = await startQos1Load(app.mqttUrl, devices, {
        perDevicePerSecond: 100,
        base: Date.now() - 3_600_000,
      });
      await eventually(
        async () => load.acked().length,
        (n) => n > 300,
        20_000,
      );
      proxy.cut();
      const ackedAtCut = load.acked().length;
      const liveAtCut = live;
      await eventually(
        async () => load.acked().length,
        (n) => n > ackedAtCut + 1_000,
        30_000,
      );
      const ready = await app.request('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('degraded');
      expect(ready.body.checks.database).toBe('failing');
      expect(ready.body.checks.journal.state).toBe('active');
      // Live state and alerts are fed all along. Acknowledgements and live events are separate paths:
      // a read at the moment the 1,001st acknowledgement lands once found exactly 1,000 events.
      expect(
        await eventually(
          async () => live - liveAtCut,
          (n) => n > 1_000,
          5_000,
        ),
      ).toBeGreaterThan(1_000);
      // The journal holds what was acknowledged during the cut, for the replay to store.
      expect(
        await eventually(
          async () => metricValue(app.baseUrl, 'ioc_ingest_journal_bytes'),
          (bytes) => bytes > 0,
          10_000,
        ),
      ).toBeGreaterThan(0);
      proxy.resume();
      // The load goes on while the journal is replayed: new readings arrive behind the replayed ones.
      const ackedAtResume = load.acked().length;
      expect(
        await eventually(
          async () => metricValue(app.baseUrl, 'ioc_ingest_journal_replayed_total'),
          (replayed) => replayed > 0,
          30_000,
        ),
      ).toBeGreaterThan(0);
      await eventually(
        async () => load.acked().length,
        (n) => n > ackedAtResume + 200,
        30_000,
      );
      load.stop();
      await eventually(
        async () => app.writer.degraded(),
        (d) => !d,
        60_000,
      );
      // Every reading sent is acknowledged (the last PUBACKs may still be on their way).
      const sent = load.sent();
      expect(
        await eventually(
          async () => load.acked().length,
          (n) => n === sent,
          30_000,
        ),
      ).toBe(sent);
      const acked = [...load.acked()];
      load.close();
      await app.writer.drain();
      const lost = await lostReadings(db, acked);
      const { rows } = await db.query(
        `SELECT count(*)::int AS raw, count(DISTINCT (device_id, time))::int AS distinct
         FROM telemetry WHERE metric = 'pm25' AND device_id LIKE 'tn-out-%'`,
      );
      let rollup = 0;
      for (const d of devices) rollup += await hourlyRollupCount(db, d.id);
      const all = (await db.query("SELECT count(*)::int AS n FROM telemetry WHERE device_id LIKE 'tn-out-%'"))
        .rows[0].n;
      console.info(
        `[reliability] outage (proxy cut ~${((acked.length - ackedAtCut) / 500).toFixed(0)} s): sent ${sent}, acknowledged ${acked.length} (${acked.length - ackedAtCut} after the cut), stored ${rows[0].raw}, lost ${lost}, duplicates ${rows[0].raw - rows[0].distinct}, journal replayed ${await metricValue(app.baseUrl, 'ioc_ingest_journal_replayed_total')}`,
      );
      expect(lost).toBe(0);
      expect(rows[0].raw).toBe(rows[0].distinct);
      expect(rollup).toBe(all);
      expect(await readdir(join(app.config.DATA_DIR, 'journal'))).toEqual([]);
      expect((await app.request('GET', '/readyz')).body.status).toBe('ready');
    } finally {
      proxy.resume();
      await app.close();
    }
  });

  it('holds publishers back when the journal is full, drops QoS 0 (counted), and loses nothing acknowledged', {
    timeout: 120_000,
  }, async () => {
    const app = await startTestApp({
      DATABASE_URL: proxy.url(database.url),
      JOURNAL_AFTER_MS: '300',
      JOURNAL_MAX_BYTES: '65536',
    });
    try {
      const { secret } = await app.registry.create(floodStation('tn-full-env-1'));
      const { secret: secret0 } = await app.registry.create(floodStation('tn-full-env-0'));
      proxy.cut();
      const load = await startQos1Load(app.mqttUrl, [{ id: 'tn-full-env-1', secret }], {
        perDevicePerSecond: 500,
        base: Date.now() - 3_600_000,
      });
      const qos0 = await startQos1Load(app.mqttUrl, [{ id: 'tn-full-env-0', secret: secret0 }], {
        perDevicePerSecond: 200,
        base: Date.now() - 3_600_000,
        qos: 0,
      });
      // The journal fills (65,536 bytes is some 500 readings), then PUBACKs stop coming. With the
      // database cut from the start, every acknowledged QoS 1 reading is a record in the journal, so
      // the acknowledgements can never pass what it holds, however long the publisher goes on.
      const record = encodeRequest({
        telemetry: { time: new Date(), deviceId: 'tn-full-env-1', metrics: { pm25: 10, temp_c: 30 } },
      });
      const capacity = Math.floor(65_536 / (8 + record.length));
      await eventually(
        async () => metricValue(app.baseUrl, 'ioc_ingest_journal_full_total'),
        (n) => n > 0,
        30_000,
      );
      const ready = await eventually(
        () => app.request('GET', '/readyz'),
        (r) => r.body.checks?.journal?.state === 'full',
        30_000,
      );
      expect(ready.status).toBe(503);
      expect(ready.body.checks.journal.state).toBe('full');
      // The publisher goes on well past what the journal could hold; its acknowledgements do not.
      expect(
        await eventually(
          async () => load.sent(),
          (n) => n > capacity + 500,
          30_000,
        ),
      ).toBeGreaterThan(capacity + 500);
      const stalledAt = load.acked().length;
      expect(stalledAt).toBeGreaterThan(0);
      expect(stalledAt).toBeLessThanOrEqual(capacity);
      expect(await metricValue(app.baseUrl, 'ioc_ingest_journal_bytes')).toBeLessThanOrEqual(65_536);
      // QoS 0 is not held back without end: past the journal's room it is dropped, and counted.
      const droppedQos0 = await eventually(
        async () => metricValue(app.baseUrl, 'ioc_ingest_dropped_total'),
        (n) => n > 0,
        30_000,
      );
      expect(droppedQos0).toBeGreaterThan(0);
      load.stop();
      qos0.stop();
      const sent = load.sent();

      proxy.resume();
      // Held back, not refused: every QoS 1 message is acknowledged once the journal drains.
      await eventually(
        async () => load.acked().length,
        (n) => n === sent,
        60_000,
      );
      await eventually(
        async () => app.writer.degraded(),
        (d) => !d,
        60_000,
      );
      const acked = [...load.acked()];
      load.close();
      qos0.close();
      const lost = await lostReadings(db, acked);
      const { rows } = await db.query(
        `SELECT count(*)::int AS raw, count(DISTINCT time)::int AS distinct
         FROM telemetry WHERE metric = 'pm25' AND device_id = 'tn-full-env-1'`,
      );
      console.info(
        `[reliability] journal full (64 KiB): acknowledged ${stalledAt} before publishers were held, sent ${sent}, acknowledged ${acked.length} after recovery, stored ${rows[0].raw}, lost ${lost}, duplicates ${rows[0].raw - rows[0].distinct}, QoS 0 dropped ${droppedQos0}, full waits ${await metricValue(app.baseUrl, 'ioc_ingest_journal_full_total')}`,
      );
      expect(lost).toBe(0);
      expect(rows[0].raw).toBe(sent);
      expect(rows[0].raw).toBe(rows[0].distinct);
    } finally {
      proxy.resume();
      await app.close();
    }
  });
});

describe('overload', () => {
  it("refuses a flooding device's QoS 0 excess (RATE_LIMITED, counted, sampled) while its neighbour is unaffected", {
    timeout: 60_000,
  }, async () => {
    const app = await startTestApp({ INGEST_DEVICE_RATE_PER_S: '10', INGEST_DEVICE_BURST: '20' });
    try {
      const { secret: floodSecret } = await app.registry.create(floodStation('tn-flood-env-1'));
      const { secret } = await app.registry.create(floodStation('tn-calm-env-1'));
      const flooder = await connectDevice(app.mqttUrl, 'tn-flood-env-1', floodSecret);
      const calm = await startQos1Load(app.mqttUrl, [{ id: 'tn-calm-env-1', secret }], {
        perDevicePerSecond: 5,
        base: Date.now() - 3_600_000,
      });
      const base = Date.now() - 3_600_000;
      const flood = 2_000;
      await Promise.all(
        Array.from(
          { length: flood },
          (_, i) =>
            new Promise<void>((ok) =>
              flooder.publish(
                'ioc/tay-ninh/environment/tn-flood-env-1/telemetry',
                JSON.stringify({ ts: base + i, metrics: { pm25: 5 } }),
                // QoS 0: the excess is refused and counted. A QoS 1 excess is held back instead, at the
                // device's rate (tests/broker/throttle.test.ts).
                { qos: 0 },
                () => ok(),
              ),
            ),
        ),
      );
      // The neighbour is served through the flood: its readings go on being acknowledged.
      await eventually(
        async () => calm.acked().length,
        (n) => n > 10,
        30_000,
      );
      calm.stop();
      const calmAcked = [...calm.acked()];
      const calmSent = calm.sent();
      calm.close();
      flooder.end(true);
      await app.writer.drain();
      await app.ingest.stop().catch(() => {});
      const stored = (
        await app.pool.query(
          "SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'tn-flood-env-1' AND metric = 'pm25'",
        )
      ).rows[0].n;
      const limited = await metricValue(app.baseUrl, 'ioc_ingest_rate_limited_total');
      const letters = (
        await app.pool.query(
          "SELECT count(*)::int AS n FROM dead_letters WHERE reason = 'RATE_LIMITED' AND device_id = 'tn-flood-env-1'",
        )
      ).rows[0].n;
      console.info(
        `[reliability] flood: ${flood} messages from one device, stored ${stored}, refused ${limited} (dead letters kept ${letters}); neighbour acknowledged ${calmAcked.length}`,
      );
      expect(stored + limited).toBe(flood);
      expect(stored).toBeLessThan(200);
      expect(letters).toBeGreaterThanOrEqual(1);
      expect(letters).toBeLessThanOrEqual(3);
      // The neighbour: everything acknowledged is stored, nothing refused.
      const calmStored = (
        await app.pool.query(
          "SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'tn-calm-env-1' AND metric = 'pm25'",
        )
      ).rows[0].n;
      // Every acknowledged message is stored; one stored while its PUBACK was on the way is not yet
      // in calmAcked, so stored may exceed acknowledged, never what was sent.
      expect(calmStored).toBeGreaterThanOrEqual(calmAcked.length);
      expect(calmStored).toBeLessThanOrEqual(calmSent);
      expect(calmAcked.length).toBeGreaterThan(5);
    } finally {
      await app.close();
    }
  });
});
