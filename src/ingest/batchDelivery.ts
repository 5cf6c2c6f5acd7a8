// A sealed batch's way to storage (docs/decisions/0002-ack-after-store.md): its writers are answered
// once it is in the database. With a journal, a batch the database fails, or does not store within
// journalAfterMs, goes to the journal instead (and ingest with it); without one, an outage is retried
// with back-off for as long as it lasts. Rows the database refuses as such are handed back, rejected,
// so ingest keeps them as dead letters instead of blocking every later batch behind them.
import type { Batch } from './batch.ts';
import type { BatchInsert } from './batchInsert.ts';
import type { JournalMode } from './journalMode.ts';
import { type FailureLog, isTransient, refusedRowAttempts, retryWithBackoff } from './retry.ts';

const timedOut = Symbol('timed out');

/** The insert's answer, or timedOut when it has none within `ms`. */
function withinDeadline(insert: Promise<number>, ms: number): Promise<number | typeof timedOut> {
  let deadline: NodeJS.Timeout | undefined;
  return Promise.race([
    insert,
    new Promise<typeof timedOut>((r) => {
      // Decided after the next poll of the event loop: on a busy process the database's answer can
      // already be in the socket, unread, when the timer fires.
      deadline = setTimeout(() => setImmediate(() => r(timedOut)), ms);
    }),
  ]).finally(() => clearTimeout(deadline));
}

export function createBatchDelivery(deps: {
  insert: BatchInsert;
  failed: FailureLog;
  journal?: JournalMode;
  journalAfterMs: number;
}): (batch: Batch) => Promise<void> {
  const { insert, failed, journal, journalAfterMs } = deps;

  return async function deliver(batch: Batch): Promise<void> {
    let started = process.hrtime.bigint();
    let outage = false;
    const outcome = await retryWithBackoff({
      wanted: () => journal?.active() !== true,
      attempt: () => {
        started = process.hrtime.bigint();
        const inserted = insert.insert(batch);
        return journal ? withinDeadline(inserted, journalAfterMs) : inserted;
      },
      retry: (error, failures) => {
        const transient = isTransient(error);
        failed(error, failures, batch.size, transient, 'batch write failed; retrying');
        if (transient && journal) {
          outage = true;
          journal.enter('the database failed a batch', error);
          return false;
        }
        return transient || failures < refusedRowAttempts;
      },
    });
    if (outcome.kind === 'done') {
      if (outcome.value === timedOut) {
        // The database hangs or crawls: the journal answers the devices, the replay stores the batch
        // later (a statement that still completes makes that replay a no-op, not a duplicate).
        journal!.enter(`a batch was not stored within ${journalAfterMs} ms`);
        return journal!.spill(batch);
      }
      insert.counted(batch, outcome.value, started);
      batch.answer?.resolve();
      return;
    }
    if (outcome.kind === 'gaveUp' && !outage) {
      batch.answer?.reject(outcome.error as Error);
      return;
    }
    return journal!.spill(batch);
  };
}
