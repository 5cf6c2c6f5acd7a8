// The telemetry writer: accepted readings, statuses and events on their way to PostgreSQL. A write's
// promise resolves once its rows are stored, so the broker acknowledges QoS 1 only then
// (docs/decisions/0002-ack-after-store.md); with a journal, once synced there while the database is
// out (docs/decisions/0008-journal.md). Nothing accepted is dropped, QoS 0 aside (dropped, counted,
// when every queue and the line waiting for it are full). This file wires the parts, each its own
// module: the bounded queue (batcher.ts), a batch's way to storage (batchDelivery.ts, retried through
// retry.ts), the journal and its replay (journalMode.ts, journalReplay.ts), the latest values
// (latestValues.ts).
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { type BackgroundLane, createBackgroundLane } from '../storage/backgroundLane.ts';
import type { Pool } from '../storage/pool.ts';
import type { LatestValue } from '../storage/telemetry.ts';
import type { WriteRequest } from './batch.ts';
import { createBatchDelivery } from './batchDelivery.ts';
import { createBatcher } from './batcher.ts';
import { createBatchInsert } from './batchInsert.ts';
import type { DeadLetterSink } from './deadLetters.ts';
import { createJournalMode, type JournalOptions } from './journalMode.ts';
import { refusedRecordLetter } from './journalRecords.ts';
import { createLatestValues } from './latestValues.ts';
import { createFailureLog } from './retry.ts';

export interface WriterOptions {
  batchRows: number;
  flushMs: number;
  queueLimit: number;
  /** Batches written at the same time, each on its own connection. */
  concurrency?: number;
  /** The local durable journal (DATA_DIR/journal); without it an outage holds the publishers back. */
  journal?: JournalOptions;
  /** A batch not stored within this long moves to the journal (the database is down or too slow). */
  journalAfterMs?: number;
  /** How long stop() lets the journal replay before leaving the rest for the next start. */
  stopReplayMs?: number;
  /** How often stored readings' latest values are upserted into device_latest. */
  latestFlushMs?: number;
}

export interface TelemetryWriter {
  /** Opens the journal and replays what an earlier run left in it (before any new write). */
  start(): Promise<void>;
  /**
   * Resolves once the write is stored, or synced to the journal. A droppable write (QoS 0) is dropped,
   * and counted, instead of waiting when every queue is full.
   */
  write(request: WriteRequest, urgent?: boolean, droppable?: boolean): Promise<void>;
  /** Rows accepted but not yet stored. */
  pending(): number;
  /**
   * Whether writes made now are queued at once, not held waiting for room in the queue or the
   * journal (a held write's device is slowed at its connection: see write's QoS 0 line).
   */
  accepting(): boolean;
  /** A device's stored latest values not yet upserted into device_latest (at most latestFlushMs old). */
  unflushedLatest(deviceId: string): LatestValue[];
  /** Writes go to the journal (the database is failing, or the journal is being replayed). */
  degraded(): boolean;
  /**
   * Resolves when everything accepted so far is stored; while the database is out, once it is synced
   * to the journal and the replay had stopReplayMs to finish.
   */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const resolved = Promise.resolve();

export function createTelemetryWriter(deps: {
  pool: Pool;
  log: Logger;
  metrics: Metrics;
  options: WriterOptions;
  /** Where latest values are flushed, in turn with the other periodic statements (none: a lane of its own). */
  lane?: BackgroundLane;
  /** Where a journal record the database refuses on replay is kept (none: logged and counted only). */
  deadLetters?: DeadLetterSink;
}): TelemetryWriter {
  const { pool, log, metrics, options } = deps;
  const lane = deps.lane ?? createBackgroundLane();
  const ownLane = deps.lane === undefined;
  const stopReplayMs = options.stopReplayMs ?? 15_000;
  let stopped = false;

  const failed = createFailureLog(log, metrics);
  const latest = createLatestValues({ pool, lane, flushMs: options.latestFlushMs ?? 5_000, failed });
  const insert = createBatchInsert({ pool, metrics, stored: latest.note });
  const journal = options.journal
    ? createJournalMode({
        options: options.journal,
        batchRows: options.batchRows,
        insert,
        failed,
        log,
        metrics,
        entered: (spill) => batcher.spillQueued(spill),
        left: () => batcher.wakeRoom(),
        refused: (request, error) => deps.deadLetters?.add(refusedRecordLetter(request, error)),
      })
    : undefined;
  const batcher = createBatcher({
    options: {
      batchRows: options.batchRows,
      flushMs: options.flushMs,
      queueLimit: options.queueLimit,
      concurrency: options.concurrency ?? 2,
    },
    metrics,
    deliver: createBatchDelivery({
      insert,
      failed,
      journal,
      journalAfterMs: options.journalAfterMs ?? 10_000,
    }),
    detour: journal,
  });
  // The queue's gauge reads the batcher when collected: setting it per write cost an object per message.
  metrics.readQueueRowsFrom(batcher.pending);

  const writer: TelemetryWriter = {
    async start() {
      await journal?.open();
    },

    write(request, urgent = false, droppable = false) {
      if (stopped) return Promise.reject(new Error('writer stopped'));
      if (!request.telemetry && !request.status && !request.event) return resolved;
      return batcher.write(request, urgent, droppable);
    },

    pending: batcher.pending,
    accepting: batcher.accepting,
    unflushedLatest: latest.unflushed,
    degraded: () => journal?.active() === true,

    async drain() {
      await batcher.drain();
      if (journal?.active()) await journal.settle(stopReplayMs);
      await latest.flush();
    },

    async stop() {
      if (ownLane) lane.hurry(); // a shared lane is hurried by whoever stops the process
      await writer.drain();
      stopped = true;
      latest.stop();
      if (!journal) return;
      await journal.stopReplay();
      await latest.flush();
      await journal.close();
    },
  };
  return writer;
}
