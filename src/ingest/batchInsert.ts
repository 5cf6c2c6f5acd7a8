// A batch into PostgreSQL (telemetry, statuses, events) and what a stored batch is counted as.
// Redelivered readings are stored once: the plain insert reports a conflict and the batch is
// written again with the conflict-aware statement.
import type { Metrics } from '../metrics/index.ts';
import type { Pool } from '../storage/pool.ts';
import {
  insertEvents,
  insertNewTelemetry,
  insertStatuses,
  insertTelemetry,
  type TelemetryBatch,
} from '../storage/telemetry.ts';
import type { Batch, WriteRequest } from './batch.ts';

export interface BatchInsert {
  /** Stores the batch's rows; resolves with the readings stored (not those stored before). */
  insert(batch: Pick<Batch, 'telemetry' | 'statuses' | 'events'>): Promise<number>;
  /** Counts a stored batch (time taken, rows stored, duplicates) and hands on its writes. */
  counted(batch: Pick<Batch, 'telemetry' | 'requests'>, stored: number, started: bigint): void;
}

// A batch that held a message already stored is likely followed by more of them (a redelivery
// burst after a reconnect, a journal replay): for a while, batches go straight to the
// conflict-aware statement instead of failing the plain one first.
const cautiousMs = 10_000;

export function createBatchInsert(deps: {
  pool: Pool;
  metrics: Metrics;
  /** Told of every stored batch's writes (the latest values). */
  stored: (requests: readonly WriteRequest[]) => void;
}): BatchInsert {
  const { pool, metrics, stored } = deps;
  let cautiousUntil = 0;

  async function insertTelemetryBatch(telemetry: TelemetryBatch): Promise<number> {
    if (performance.now() < cautiousUntil) return insertTelemetry(pool, telemetry);
    const { readings, conflicted } = await insertNewTelemetry(pool, telemetry);
    if (conflicted) {
      cautiousUntil = performance.now() + cautiousMs;
      metrics.batchesRewritten.inc();
    }
    return readings;
  }

  return {
    async insert(batch) {
      const readings = await insertTelemetryBatch(batch.telemetry.build());
      await insertStatuses(pool, batch.statuses);
      await insertEvents(pool, batch.events);
      return readings;
    },
    counted(batch, readings, started) {
      metrics.flushSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
      metrics.rowsStored.inc(readings);
      metrics.rowsDuplicate.inc(batch.telemetry.readings - readings);
      stored(batch.requests);
    },
  };
}
