// The journal replayed into the database, in order, batch by batch: a record is released (and its
// segment deleted) only once stored. An outage during the replay is waited out; a record the database
// refuses as such was acknowledged to its device all the same, so it is not dropped silently: it goes
// to `refused` (a dead letter with the database's reason), counted and logged, and the replay goes
// on, so one bad record never blocks the rest.
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { batchOf, type WriteRequest } from './batch.ts';
import type { BatchInsert } from './batchInsert.ts';
import type { Journal, JournalCursor } from './journal.ts';
import { decodeRequest } from './journalRecords.ts';
import { type FailureLog, isTransient, refusedRowAttempts, retryWithBackoff } from './retry.ts';

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Replays until the journal is empty (then calls caughtUp) or stopped() says so. */
export function createJournalReplay(deps: {
  journal: Journal;
  /** The direct writer's batch size: replayed batches are of the same order (100 to 5,000 records). */
  batchRows: number;
  insert: BatchInsert;
  failed: FailureLog;
  log: Logger;
  metrics: Metrics;
  stopped: () => boolean;
  /** Stored records were released: the journal shrank. */
  released: () => void;
  /** Called in the same tick as the check that the journal is empty and nothing is on its way in. */
  caughtUp: () => void;
  /** A record the database refused: kept as a dead letter with the reason. */
  refused: (request: WriteRequest, error: unknown) => void;
}): () => Promise<void> {
  const { journal, insert, failed, log, metrics, stopped } = deps;
  const limit = Math.max(100, Math.min(deps.batchRows, 5_000));

  /** False when stopped before the records were stored. */
  async function store(requests: WriteRequest[]): Promise<boolean> {
    const batch = batchOf(requests);
    let started = process.hrtime.bigint();
    const outcome = await retryWithBackoff({
      wanted: () => !stopped(),
      attempt: () => {
        started = process.hrtime.bigint();
        return insert.insert(batch);
      },
      retry: (error, failures) => {
        const transient = isTransient(error);
        failed(error, failures, batch.size, transient, 'journal replay: batch write failed; retrying');
        return transient || failures < refusedRowAttempts;
      },
    });
    if (outcome.kind === 'done') {
      insert.counted(batch, outcome.value, started);
      return true;
    }
    if (outcome.kind === 'unwanted') return false;
    for (const request of requests) {
      const one = batchOf([request]);
      await insert.insert(one).then(
        (stored) => insert.counted(one, stored, started),
        (e) => {
          metrics.journalRefused.inc();
          log.error(
            { err: e, request },
            'journal replay: the database refused a record; kept as a dead letter',
          );
          deps.refused(request, e);
        },
      );
    }
    return true;
  }

  return async function replay(): Promise<void> {
    let cursor: JournalCursor = journal.head();
    while (!stopped()) {
      const { records, next } = await journal.read(cursor, limit);
      if (records.length > 0) {
        if (!(await store(records.map(decodeRequest)))) return;
        metrics.journalReplayed.inc(records.length);
        cursor = next;
        await journal.release(cursor);
        deps.released();
        continue;
      }
      await journal.release(cursor);
      if (journal.empty()) {
        // Everything synced is stored and nothing is on its way in: back to direct writes, in this tick.
        deps.caughtUp();
        return;
      }
      await journal.synced();
      await pause(5);
    }
  };
}
