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

/**
 * Rows/s PostgreSQL takes through the telemetry insert alone: `concurrency` connections, each
 * inserting batches of `batchRows` rows (4 metrics per reading, fresh times) for `seconds`.
 */
export async function measureInsertCeiling(
  pool: pg.Pool,
  deviceIds: string[],
  options: { seconds: number; batchRows: number; concurrency: number },
): Promise<InsertCeiling> {
  const metrics = ['pm25', 'pm10', 'no2', 'temp_c'];
  let clock = Date.now() - 3_600_000;
  let device = 0;
  const batch = (): TelemetryColumns => {
    const columns: TelemetryColumns = { time: [], deviceId: [], metric: [], value: [] };
    for (let i = 0; i < options.batchRows / metrics.length; i++) {
      const time = new Date(clock++);
      const id = deviceIds[device++ % deviceIds.length]!;
      for (const metric of metrics) {
        columns.time.push(time);
        columns.deviceId.push(id);
        columns.metric.push(metric);
        columns.value.push(20.5 + (i % 30));
      }
    }
    return columns;
  };
  let rows = 0;
  const started = Date.now();
  const endAt = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      let next = batch();
      while (Date.now() < endAt) {
        const writing = insertTelemetry(pool, next);
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
