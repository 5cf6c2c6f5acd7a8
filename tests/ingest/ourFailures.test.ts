// Our own failures are never blamed on a device: an exception anywhere on the way (a subscriber's
// bug, the writer's) is kept as INTERNAL_ERROR and a write the IOC could not store as STORAGE_FAILED,
// each counted under its own label and logged with its error. The faults are injected through
// createIngest's own parameters (the bus, the writer); PostgreSQL is the real one.
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.ts';
import { deadLetterReasonInfo, deadLetterReasons } from '../../src/errors.ts';
import { createEventBus, type EventBus } from '../../src/events/bus.ts';
import { createDeadLetterSink } from '../../src/ingest/deadLetters.ts';
import { createIngest } from '../../src/ingest/index.ts';
import { createTelemetryWriter, type TelemetryWriter } from '../../src/ingest/writer.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { createDeviceRegistry } from '../../src/registry/index.ts';
import { createDeviceQueries } from '../../src/storage/devices.ts';
import type { Pool } from '../../src/storage/pool.ts';
import { useMigratedDatabase } from '../helpers/database.ts';

let pool: Pool;
useMigratedDatabase((p) => {
  pool = p;
});

const catalog = loadCatalog();
const config = {
  MQTT_MAX_PAYLOAD_BYTES: 65_536,
  INGEST_MAX_FUTURE_S: 300,
  INGEST_MAX_AGE_DAYS: 30,
  INGEST_LATE_AFTER_S: 300,
};
let devices = 0;

/**
 * An ingest on the test database with a registered station, the writer `replace` makes of a real
 * one, and a log kept in `lines`. Resolves with the station's id and the dead letters it left.
 */
async function ingestWith(options: {
  bus?: EventBus;
  replace?: (writer: TelemetryWriter) => TelemetryWriter;
}) {
  const bus = options.bus ?? createEventBus();
  const metrics = createMetrics();
  const lines: Array<Record<string, any>> = [];
  const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
  const registry = createDeviceRegistry({ queries: createDeviceQueries(pool), catalog, bus });
  await registry.load();
  const id = `tn-fault-env-${++devices}`;
  await registry.create({
    id,
    kind: 'environment',
    city: 'tay-ninh',
    ward: 'phuong-tan-ninh',
    lat: 11.3,
    lon: 106.1,
    name: id,
    pole: null,
    zone: null,
  });
  const real = createTelemetryWriter({
    pool,
    log,
    metrics,
    options: { batchRows: 100, flushMs: 5, queueLimit: 1_000 },
  });
  const writer = options.replace ? options.replace(real) : real;
  const deadLetters = createDeadLetterSink({ pool, log, metrics, bus });
  const ingest = createIngest({ catalog, registry, bus, writer, deadLetters, metrics, pool, log, config });
  const reading = (pm25: number) => ({
    topic: `ioc/tay-ninh/environment/${id}/telemetry`,
    payload: Buffer.from(JSON.stringify({ ts: new Date().toISOString(), metrics: { pm25 } })),
    receivedAt: new Date(),
    senderId: id,
    qos: 1,
  });
  return {
    id,
    lines,
    reading,
    ingest,
    /** The station's dead letters, once every one added so far is stored. */
    async letters() {
      await deadLetters.flush();
      const { rows } = await pool.query<{ reason: string; message: string }>(
        'SELECT reason, message FROM dead_letters WHERE device_id = $1 ORDER BY id',
        [id],
      );
      return rows;
    },
    async counted(reason: string) {
      const values = (await metrics.deadLetters.get()).values;
      return values.find((v) => v.labels.reason === reason)?.value ?? 0;
    },
    async close() {
      await deadLetters.stop();
      await real.stop();
    },
  };
}

describe('dead-letter reasons', () => {
  it('are one list, each saying whose fault it is and what to do, in Vietnamese and English', () => {
    for (const reason of deadLetterReasons) {
      const info = deadLetterReasonInfo[reason];
      expect(['device', 'ioc']).toContain(info.fault);
      expect(info.vi.length).toBeGreaterThan(20);
      expect(info.en.length).toBeGreaterThan(20);
    }
    const ours = deadLetterReasons.filter((r) => deadLetterReasonInfo[r].fault === 'ioc');
    expect(ours.sort()).toEqual(['INTERNAL_ERROR', 'STORAGE_FAILED']);
    for (const reason of ours) expect(deadLetterReasonInfo[reason].en).toMatch(/not the device's/);
  });
});

describe('a failure of our own', () => {
  it('in a subscriber is kept as INTERNAL_ERROR, counted under its own label and logged with the error', async () => {
    const bus = createEventBus();
    bus.on('reading', () => {
      throw new Error('a subscriber bug');
    });
    const t = await ingestWith({ bus });
    try {
      expect(await t.ingest.accept(t.reading(12))).toBe(false);
      const letters = await t.letters();
      expect(letters.map((l) => l.reason)).toEqual(['INTERNAL_ERROR']);
      expect(letters[0]!.message).toContain('a subscriber bug');
      expect(await t.counted('INTERNAL_ERROR')).toBe(1);
      expect(await t.counted('VALIDATION_FAILED')).toBe(0);
      const logged = t.lines.filter((l) => l.level === 50 && l.err?.message === 'a subscriber bug');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ deviceId: t.id, topic: t.reading(0).topic });
    } finally {
      await t.close();
    }
  });

  it('in the writer, thrown while taking a write, is kept as INTERNAL_ERROR', async () => {
    const t = await ingestWith({
      replace: (real) => ({
        ...real,
        write: () => {
          throw new Error('a writer bug');
        },
      }),
    });
    try {
      expect(await t.ingest.accept(t.reading(13))).toBe(false);
      const letters = await t.letters();
      expect(letters.map((l) => l.reason)).toEqual(['INTERNAL_ERROR']);
      expect(letters[0]!.message).toContain('a writer bug');
    } finally {
      await t.close();
    }
  });

  it('to store a write is kept as STORAGE_FAILED, logged once for a run of them with how many followed', async () => {
    const t = await ingestWith({
      replace: (real) => ({ ...real, write: () => Promise.reject(new Error('the journal disk is gone')) }),
    });
    try {
      for (let i = 0; i < 3; i++) expect(await t.ingest.accept(t.reading(14 + i))).toBe(false);
      const letters = await t.letters();
      expect(letters.map((l) => l.reason)).toEqual(['STORAGE_FAILED', 'STORAGE_FAILED', 'STORAGE_FAILED']);
      expect(letters[0]!.message).toContain('the journal disk is gone');
      expect(await t.counted('STORAGE_FAILED')).toBe(3);
      const logged = t.lines.filter((l) => l.level === 50 && l.err?.message === 'the journal disk is gone');
      expect(logged).toHaveLength(1); // the other two within the next few seconds are counted, not logged
    } finally {
      await t.close();
    }
  });

  it('is not mistaken for a bad device: a good reading beside a failing one is stored', async () => {
    let fail = true;
    const t = await ingestWith({
      replace: (real) => ({
        ...real,
        write: (request, urgent, droppable) =>
          fail ? Promise.reject(new Error('refused once')) : real.write(request, urgent, droppable),
      }),
    });
    try {
      expect(await t.ingest.accept(t.reading(20))).toBe(false);
      fail = false;
      expect(await t.ingest.accept(t.reading(21))).toBe(true);
      const { rows } = await pool.query('SELECT value FROM telemetry WHERE device_id = $1', [t.id]);
      expect(rows).toEqual([{ value: 21 }]);
      expect((await t.letters()).map((l) => l.reason)).toEqual(['STORAGE_FAILED']);
    } finally {
      await t.close();
    }
  });
});
