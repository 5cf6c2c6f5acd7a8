// The ceilings the system is compared with, measured in the same run on the same machine:
// the broker alone (aedes with the same options, every publish handed to a consumer that drops it)
// and PostgreSQL's bulk insert alone (the telemetry insert the writer uses, batches built in advance).

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import type pg from 'pg';
import { insertNewTelemetry, type TelemetryMessage, telemetryBatch } from '../src/storage/telemetry.ts';

export interface NullBroker {
  port: number;
  delivered(): number;
  lastDeliveredAt(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startNullBroker(): Promise<NullBroker> {
  const aedes = await Aedes.createBroker({ heartbeatInterval: 60_000, connectTimeout: 30_000 });
  let delivered = 0;
  let lastDeliveredAt = 0;
  await new Promise<void>((ok) =>
    aedes.subscribe(
      'ioc/#',
      (_packet, callback) => {
        delivered++;
        lastDeliveredAt = Date.now();
        callback();
      },
      ok,
    ),
  );
  const server = createServer((socket) => aedes.handle(socket));
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    delivered: () => delivered,
    lastDeliveredAt: () => lastDeliveredAt,
    reset() {
      delivered = 0;
      lastDeliveredAt = 0;
    },
    async close() {
      await new Promise<void>((ok) => aedes.close(() => ok()));
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

export interface InsertCeiling {
  rowsPerSecond: number;
  batchRows: number;
  concurrency: number;
  seconds: number;
}

export type InsertStatement = 'writer' | 'messages' | 'narrow';

// The writer's statement stores messages and appends them for the rollup; 'messages' is the raw
// message rows alone (no rollup), to show what the rollup costs on top; 'narrow' is the layout
// before migration 009 (one row per metric, keyed by device, metric and time, with its time index),
// in a scratch table, to show what storing one row per message gained (docs/decisions/0009).
// Like the writer's plain insert (every message is new here), without the append for the rollup.
const messagesInsertSql = `INSERT INTO telemetry_messages (device_id, time, metrics)
  SELECT e->>0, to_timestamp((e->>1)::float8 / 1000), e->2 FROM jsonb_array_elements($1::jsonb) AS e`;
const narrowSql = `INSERT INTO bench_narrow (time, device_id, metric, value)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::float8[]) ON CONFLICT DO NOTHING`;

/**
 * Readings/s PostgreSQL takes through a telemetry insert alone: `concurrency` connections, each
 * inserting batches of `batchRows` readings for `seconds`, 4 metrics per message, every device in
 * turn (as a fleet reports) with a fresh second for each round.
 */
export async function measureInsertCeiling(
  pool: pg.Pool,
  deviceIds: string[],
  options: { seconds: number; batchRows: number; concurrency: number; statement: InsertStatement },
): Promise<InsertCeiling> {
  const metrics = ['pm25', 'pm10', 'no2', 'temp_c'];
  let clock = Date.now() - 3_600_000;
  let device = 0;
  const batch = (): TelemetryMessage[] => {
    const messages: TelemetryMessage[] = [];
    for (let i = 0; i < options.batchRows / metrics.length; i++) {
      const id = deviceIds[device]!;
      device = (device + 1) % deviceIds.length;
      if (device === 0) clock += 1_000;
      const values: Record<string, number> = {};
      for (const metric of metrics) values[metric] = 20.5 + (i % 30);
      messages.push({ deviceId: id, time: new Date(clock), metrics: values });
    }
    return messages;
  };
  if (options.statement === 'narrow') {
    // The old primary key and time index, without the view's rewrite: a real table of that shape.
    await pool.query(`CREATE TABLE IF NOT EXISTS bench_narrow (
      time timestamptz NOT NULL, device_id text NOT NULL, metric text NOT NULL, value float8 NOT NULL,
      PRIMARY KEY (device_id, metric, time))`);
    await pool.query('CREATE INDEX IF NOT EXISTS bench_narrow_time ON bench_narrow (time DESC)');
  }
  const insert = async (messages: TelemetryMessage[]): Promise<number> => {
    if (options.statement === 'writer')
      return (await insertNewTelemetry(pool, telemetryBatch(messages))).readings;
    if (options.statement === 'messages') {
      const built = telemetryBatch(messages);
      await pool.query(messagesInsertSql, [built.json]);
      return built.readings;
    }
    const rows = {
      time: [] as Date[],
      deviceId: [] as string[],
      metric: [] as string[],
      value: [] as number[],
    };
    for (const m of messages) {
      for (const metric in m.metrics) {
        rows.time.push(m.time);
        rows.deviceId.push(m.deviceId);
        rows.metric.push(metric);
        rows.value.push(m.metrics[metric]!);
      }
    }
    await pool.query(narrowSql, [rows.time, rows.deviceId, rows.metric, rows.value]);
    return rows.time.length;
  };
  let rows = 0;
  const started = Date.now();
  const endAt = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      let next = batch();
      while (Date.now() < endAt) {
        const writing = insert(next);
        next = batch(); // built while the database works, as the writer does
        rows += await writing;
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  if (options.statement === 'narrow') await pool.query('DROP TABLE IF EXISTS bench_narrow');
  return {
    rowsPerSecond: Math.round(rows / seconds),
    batchRows: options.batchRows,
    concurrency: options.concurrency,
    seconds,
  };
}
