// The ceilings the system is compared with, measured in the same run on the same machine:
// the broker alone (aedes with the same options, every publish handed to a consumer that drops it)
// and PostgreSQL's bulk insert alone (the telemetry insert the writer uses, batches built in advance).

import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import type pg from 'pg';
import { insertTelemetry, type TelemetryColumns } from '../src/storage/telemetry.ts';

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

// PostgreSQL's own ceiling for raw rows: the same UNNEST insert into telemetry and nothing else
// (no rollup, no latest values), to show what the writer's statement costs on top of it.
const plainInsertSql = `INSERT INTO telemetry (time, device_id, metric, value)
  SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::float8[]) ON CONFLICT DO NOTHING`;

/**
 * Rows/s PostgreSQL takes through a telemetry insert alone: `concurrency` connections, each
 * inserting batches of `batchRows` rows for `seconds`, 4 metrics per reading, every device in turn
 * (as a fleet reports) with a fresh second for each round. `statement`: the writer's own insert
 * (raw rows, hourly rollup, latest values) or the raw rows alone.
 */
export async function measureInsertCeiling(
  pool: pg.Pool,
  deviceIds: string[],
  options: { seconds: number; batchRows: number; concurrency: number; statement: 'writer' | 'plain' },
): Promise<InsertCeiling> {
  const metrics = ['pm25', 'pm10', 'no2', 'temp_c'];
  let clock = Date.now() - 3_600_000;
  let device = 0;
  const batch = (): TelemetryColumns => {
    const columns: TelemetryColumns = { time: [], deviceId: [], metric: [], value: [] };
    for (let i = 0; i < options.batchRows / metrics.length; i++) {
      const time = new Date(clock);
      const id = deviceIds[device]!;
      device = (device + 1) % deviceIds.length;
      if (device === 0) clock += 1_000;
      for (const metric of metrics) {
        columns.time.push(time);
        columns.deviceId.push(id);
        columns.metric.push(metric);
        columns.value.push(20.5 + (i % 30));
      }
    }
    return columns;
  };
  const insert = async (columns: TelemetryColumns) => {
    if (options.statement === 'writer') return insertTelemetry(pool, columns);
    await pool.query(plainInsertSql, [columns.time, columns.deviceId, columns.metric, columns.value]);
    return columns.time.length;
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
  return {
    rowsPerSecond: Math.round(rows / seconds),
    batchRows: options.batchRows,
    concurrency: options.concurrency,
    seconds,
  };
}
