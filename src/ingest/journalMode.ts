// Degraded mode (docs/decisions/0008-journal.md): while the database fails or does not answer in time,
// every accepted write goes to the local journal and is answered once fsync'd there; the journal is
// replayed into the database in order, and writes go back to the database once it is empty. Entering
// is decided by the writer; leaving, by the replay catching up.
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Batch, WriteRequest } from './batch.ts';
import type { BatchInsert } from './batchInsert.ts';
import { createJournal } from './journal.ts';
import { encodeRequest } from './journalRecords.ts';
import { createJournalReplay } from './journalReplay.ts';
import type { FailureLog } from './retry.ts';

export interface JournalOptions {
  dir: string;
  maxBytes: number;
  segmentBytes?: number;
}

export interface JournalMode {
  /** Opens the journal; what an earlier run left in it is replayed before any new write is stored. */
  open(): Promise<void>;
  /** Writes go to the journal (the database is failing, or the journal is being replayed). */
  active(): boolean;
  /** An append would wait for room now. */
  full(): boolean;
  /** Resolves once the write is synced to the journal. */
  take(request: WriteRequest): Promise<void>;
  /** Moves a batch to the journal; its writers are answered once it is synced there. */
  spill(batch: Batch): Promise<void>;
  /** Sends writes to the journal and starts its replay (nothing when they go there already). */
  enter(reason: string, error?: unknown): void;
  /** Resolves once what was appended is synced, and the replay had up to `ms` to finish. */
  settle(ms: number): Promise<void>;
  /** Stops the replay (what is left is replayed at the next start). */
  stopReplay(): Promise<void>;
  close(): Promise<void>;
}

export function createJournalMode(deps: {
  options: JournalOptions;
  batchRows: number;
  insert: BatchInsert;
  failed: FailureLog;
  log: Logger;
  metrics: Metrics;
  /** Entering: the batches waiting in memory go to the journal too, in order, through `spill`. */
  entered: (spill: (batch: Batch) => Promise<void>) => void;
  /** Back to direct writes: writers waiting for room in the queue may go on. */
  left: () => void;
  /** A replayed record the database refused (journalReplay.ts). */
  refused: (request: WriteRequest, error: unknown) => void;
}): JournalMode {
  const { options, log, metrics } = deps;
  let active = false;
  let replaying: Promise<void> | undefined;
  let stopped = false;
  let lastFullLog = 0;
  const journal = createJournal({
    dir: options.dir,
    maxBytes: options.maxBytes,
    segmentBytes: options.segmentBytes,
    onFull: (bytes) => {
      metrics.journalFull.inc();
      const now = Date.now();
      if (now - lastFullLog > 30_000) {
        lastFullLog = now;
        log.error(
          { journalBytes: bytes, maxBytes: options.maxBytes },
          'ingest journal is full: publishers are held back until the database takes its records (raise JOURNAL_MAX_BYTES or bring the database back)',
        );
      }
    },
  });
  const updateGauge = () => metrics.journalBytes.set(journal.stats().bytes);
  const replay = createJournalReplay({
    journal,
    batchRows: deps.batchRows,
    insert: deps.insert,
    failed: deps.failed,
    log,
    metrics,
    stopped: () => stopped,
    refused: deps.refused,
    released: updateGauge,
    caughtUp: () => {
      active = false;
      metrics.ingestDegraded.set(0);
      updateGauge();
      log.info('journal replayed: ingest writes to the database again');
      deps.left();
    },
  });

  async function spill(batch: Batch): Promise<void> {
    const appended = batch.requests.map((request) => journal.append(encodeRequest(request)));
    const results = await Promise.allSettled(appended);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) batch.answer?.reject(failed.reason as Error);
    else batch.answer?.resolve();
    updateGauge();
  }

  function enter(reason: string, error?: unknown) {
    if (active) return;
    active = true;
    metrics.ingestDegraded.set(1);
    log.warn({ err: error, reason }, 'database unavailable: ingest continues into the local journal');
    deps.entered(spill);
    replaying ??= replay().finally(() => {
      replaying = undefined;
    });
  }

  async function waitForReplay(ms: number) {
    if (!replaying) return;
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([replaying, new Promise<void>((r) => (deadline = setTimeout(r, ms)))]);
    clearTimeout(deadline);
  }

  return {
    async open() {
      const found = await journal.open();
      updateGauge();
      if (found.discardedBytes > 0) {
        log.warn({ discardedBytes: found.discardedBytes }, 'journal: a torn record at the end was cut off');
      }
      if (!journal.empty()) {
        log.info(
          { records: found.records, bytes: found.bytes },
          'journal: replaying what the previous run left, before new data',
        );
        enter('the journal holds records from the previous run');
      }
    },
    active: () => active,
    full: () => journal.full(),
    take: (request) => journal.append(encodeRequest(request)),
    spill,
    enter,
    async settle(ms) {
      await journal.synced();
      await waitForReplay(ms);
    },
    async stopReplay() {
      stopped = true;
      await replaying;
    },
    async close() {
      await journal.close();
      if (!journal.empty()) {
        log.warn(
          { journalBytes: journal.stats().bytes },
          'stopping with records still in the journal: they are replayed at the next start',
        );
      }
    },
  };
}
