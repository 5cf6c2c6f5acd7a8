// The batch writer: accepted readings wait here, in a bounded queue, until the database has them.
// A message's promise resolves once its rows are stored, so the broker acknowledges QoS 1 only then.
// When the queue is full, new writes wait for room (back-pressure to the publishers, not memory growth).
// With a journal (docs/decisions/0008-journal.md): a batch the database fails or does not store within
// journalAfterMs goes to the local journal instead, and so does every write after it, resolving once
// fsync'd; the journal is replayed into the database in order, and the writer goes back to direct
// writes once it is empty. Without one, an outage is retried with back-off. Nothing accepted is dropped
// (QoS 0 aside, which may be dropped, counted, when every queue and the line waiting for it are full).
// Latest values (device_latest) are kept in memory as batches are stored and upserted every
// latestFlushMs in one statement, not by every batch: with thousands of devices each batch touches
// each device once, and that upsert cost more than the raw insert itself (the bench).
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { type BackgroundLane, createBackgroundLane } from '../storage/backgroundLane.ts';
import type { Pool } from '../storage/pool.ts';
import {
  type EventRow,
  insertEvents,
  insertNewTelemetry,
  insertStatuses,
  insertTelemetry,
  type LatestValue,
  type StatusRow,
  type TelemetryBatch,
  TelemetryBatchBuilder,
  type TelemetryMessage,
  writeLatest,
} from '../storage/telemetry.ts';
import { Fifo } from './fifo.ts';
import { createJournal, type Journal, type JournalCursor } from './journal.ts';

export interface WriteRequest {
  telemetry?: TelemetryMessage;
  status?: StatusRow;
  event?: EventRow;
}

interface Batch {
  /** The writes themselves, kept to move the batch to the journal should the database fail it. */
  requests: WriteRequest[];
  telemetry: TelemetryBatchBuilder;
  statuses: StatusRow[];
  events: EventRow[];
  size: number;
  /** What every write in the batch is answered with: one promise per batch, not one per write. */
  answer?: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
}

export interface WriterOptions {
  batchRows: number;
  flushMs: number;
  queueLimit: number;
  /** Batches written at the same time, each on its own connection. */
  concurrency?: number;
  /** The local durable journal (DATA_DIR/journal); without it an outage holds the publishers back. */
  journal?: { dir: string; maxBytes: number; segmentBytes?: number };
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

/** A write as a journal record: JSON, dates as ISO strings. */
export function encodeRequest(request: WriteRequest): Buffer {
  // Without the metrics' JSON text, which would store them twice: decoding has the object.
  const t = request.telemetry;
  if (t?.json !== undefined)
    return Buffer.from(
      JSON.stringify({ ...request, telemetry: { time: t.time, deviceId: t.deviceId, metrics: t.metrics } }),
    );
  return Buffer.from(JSON.stringify(request));
}

export function decodeRequest(record: Buffer): WriteRequest {
  const r = JSON.parse(record.toString('utf8')) as WriteRequest;
  if (r.telemetry) r.telemetry.time = new Date(r.telemetry.time);
  if (r.status) r.status.time = new Date(r.status.time);
  if (r.event) {
    r.event.time = new Date(r.event.time);
    r.event.receivedAt = new Date(r.event.receivedAt);
  }
  return r;
}

// Per device, its metrics' latest values in a short array (a device has a handful of metrics),
// scanned instead of a Map per device looked up for each metric of each message: metric names from
// parsed payloads are interned, so the scan compares pointers where a lookup hashes.
type LatestByDevice = Map<string, LatestValue[]>;

function ofDevice(into: LatestByDevice, deviceId: string): LatestValue[] {
  let values = into.get(deviceId);
  if (!values) {
    values = [];
    into.set(deviceId, values);
  }
  return values;
}

function keepNewest(values: LatestValue[], deviceId: string, metric: string, time: Date, value: number) {
  for (const known of values) {
    if (known.metric !== metric) continue;
    if (known.time.getTime() < time.getTime()) {
      // In place: the map being flushed was swapped out, so no write reads this object now.
      known.time = time;
      known.value = value;
    }
    return;
  }
  values.push({ deviceId, metric, time, value });
}

const timedOut = Symbol('timed out');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const emptyBatch = (): Batch => ({
  requests: [],
  telemetry: new TelemetryBatchBuilder(),
  statuses: [],
  events: [],
  size: 0,
});

function answerOf(batch: Batch): Promise<void> {
  if (!batch.answer) {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    batch.answer = { promise, resolve, reject };
  }
  return batch.answer.promise;
}

const resolved = Promise.resolve();

// Only errors about the rows themselves (data exceptions, integrity violations) are worth giving up
// on; anything else (connection refused or cut, server shutting down, database not accepting
// connections, lack of resources, a missing table during a botched upgrade) is an outage, and the
// readings wait for it to end.
const rowErrorSqlState = /^(22|23)/;
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code !== 'string' || !rowErrorSqlState.test(code);
}

export function createTelemetryWriter(deps: {
  pool: Pool;
  log: Logger;
  metrics: Metrics;
  options: WriterOptions;
  /** Where latest values are flushed, in turn with the other periodic statements (none: a lane of its own). */
  lane?: BackgroundLane;
}): TelemetryWriter {
  const { pool, log, metrics, options } = deps;
  const lane = deps.lane ?? createBackgroundLane();
  const ownLane = deps.lane === undefined;
  const concurrency = options.concurrency ?? 2;
  const journalAfterMs = options.journalAfterMs ?? 10_000;
  const stopReplayMs = options.stopReplayMs ?? 15_000;
  let current = emptyBatch();
  const sealed: Batch[] = [];
  let inFlight = 0;
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const roomWaiters = new Fifo<() => void>();
  // Writers released from roomWaiters run on a later tick: until they have added their rows the
  // queue is not really empty, and drain() must not say so.
  let waitingForRoom = 0;
  const idle = () => queued === 0 && current.size === 0 && waitingForRoom === 0;
  const drainWaiters = new Fifo<() => void>();
  const wakeDrainersIfIdle = () => {
    if (idle()) for (const wake of drainWaiters.takeAll()) wake();
  };
  let lastErrorLog = 0;
  let lastFullLog = 0;

  // The journal and the writer's mode: 'direct' (batches to the database, acknowledged once stored) or
  // 'journal' (every write to the journal, acknowledged once synced, replayed in order).
  let mode: 'direct' | 'journal' = 'direct';
  /** The direct queue is at its limit: writes wait for room (QoS 0 past its line is dropped). */
  const queueFull = () => mode === 'direct' && queued >= options.queueLimit;
  let replaying: Promise<void> | undefined;
  let stopReplay = false;
  const journal: Journal | undefined = options.journal
    ? createJournal({
        dir: options.journal.dir,
        maxBytes: options.journal.maxBytes,
        segmentBytes: options.journal.segmentBytes,
        onFull: (bytes) => {
          metrics.journalFull.inc();
          const now = Date.now();
          if (now - lastFullLog > 30_000) {
            lastFullLog = now;
            log.error(
              { journalBytes: bytes, maxBytes: options.journal!.maxBytes },
              'ingest journal is full: publishers are held back until the database takes its records (raise JOURNAL_MAX_BYTES or bring the database back)',
            );
          }
        },
      })
    : undefined;

  // The queue's gauge reads `queued` when collected: setting it per write cost an object per message.
  metrics.readQueueRowsFrom(() => queued);
  function updateGauge() {
    if (journal) metrics.journalBytes.set(journal.stats().bytes);
  }

  function seal() {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (current.size === 0) return;
    sealed.push(current);
    current = emptyBatch();
  }

  function batchDone(batch: Batch) {
    queued -= batch.size;
    updateGauge();
    wakeRoom();
    wakeDrainersIfIdle();
  }

  // Writers woken for room that have not added their rows yet.
  let released = 0;
  // Messages (not rows) that may wait for room before a QoS 0 one is dropped instead.
  const qos0LineLimit = Math.max(1, Math.floor(options.queueLimit / 4));

  /**
   * Wakes as many writers waiting for room as there is room for (each adds at least a row), not all
   * of them: with tens of thousands of QoS 1 publishes waiting, waking every one on each stored
   * batch only to put most of them back to sleep cost more CPU than storing them.
   */
  function wakeRoom() {
    let room = mode === 'journal' ? roomWaiters.length : options.queueLimit - queued - released;
    while (roomWaiters.length > 0 && room-- > 0) {
      released++;
      roomWaiters.shift()!();
    }
  }

  function pump() {
    while (inFlight < concurrency && sealed.length > 0) {
      const batch = sealed.shift()!;
      inFlight++;
      void store(batch).finally(() => {
        inFlight--;
        batchDone(batch);
        pump();
      });
    }
  }

  // A batch that held a message already stored is likely followed by more of them (a redelivery
  // burst after a reconnect, a journal replay): for a while, batches go straight to the
  // conflict-aware statement instead of failing the plain one first.
  let cautiousUntil = 0;
  const cautiousMs = 10_000;

  async function insertTelemetryBatch(telemetry: TelemetryBatch): Promise<number> {
    if (performance.now() < cautiousUntil) return insertTelemetry(pool, telemetry);
    const { readings, conflicted } = await insertNewTelemetry(pool, telemetry);
    if (conflicted) {
      cautiousUntil = performance.now() + cautiousMs;
      metrics.batchesRewritten.inc();
    }
    return readings;
  }

  async function insertBatch(batch: Pick<Batch, 'telemetry' | 'statuses' | 'events'>): Promise<number> {
    const stored = await insertTelemetryBatch(batch.telemetry.build());
    await insertStatuses(pool, batch.statuses);
    await insertEvents(pool, batch.events);
    return stored;
  }

  function countStored(batch: Pick<Batch, 'telemetry' | 'requests'>, stored: number, started: bigint) {
    metrics.flushSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    metrics.rowsStored.inc(stored);
    metrics.rowsDuplicate.inc(batch.telemetry.readings - stored);
    noteLatest(batch.requests);
  }

  // Latest values of stored readings, per device and metric, waiting for the next flush; and the
  // ones being written by the flush under way (both still shown by unflushedLatest).
  let latest: LatestByDevice = new Map();
  let flushing: LatestByDevice | undefined;
  let latestTimer: NodeJS.Timeout | undefined;
  let latestFlush: Promise<void> | undefined;
  const latestFlushMs = options.latestFlushMs ?? 5_000;

  function noteLatest(requests: readonly WriteRequest[]) {
    for (const request of requests) {
      const t = request.telemetry;
      if (!t) continue;
      const values = ofDevice(latest, t.deviceId);
      for (const metric in t.metrics) keepNewest(values, t.deviceId, metric, t.time, t.metrics[metric]!);
    }
    scheduleLatestFlush();
  }

  // A flush of every device's values can take a while with tens of thousands of devices: the next
  // one waits ten times as long as the last took, so latest values never cost more than a tenth of
  // the database's time (at a city's rates that is the latestFlushMs floor). And it goes in chunks,
  // each a turn on the background lane: 40,000 values in one statement kept a core busy for most of
  // a second, and the publish → stored tail of the whole fleet rose with each flush (bench, 10,000
  // devices at 10,000 msg/s, slowest seconds beside the statements over 250 ms).
  let lastLatestFlushMs = 0;
  const latestChunkRows = 2_500;

  function scheduleLatestFlush() {
    if (latestTimer || stopped || latest.size === 0) return;
    latestTimer = setTimeout(
      () => {
        latestTimer = undefined;
        void flushLatest();
      },
      Math.max(latestFlushMs, 10 * lastLatestFlushMs),
    );
  }

  /**
   * Upserts the latest values noted so far: waits for a flush under way (it may hold some of them),
   * then writes the rest, chunk by chunk, each a turn on the lane. A failed chunk puts its
   * values and the ones after it back for the next timer.
   */
  async function flushLatest(): Promise<void> {
    while (latestFlush) await latestFlush;
    if (latest.size === 0) return;
    latestFlush = (async () => {
      flushing = latest;
      latest = new Map();
      const values: LatestValue[] = [];
      for (const ofDevice of flushing.values()) for (const value of ofDevice) values.push(value);
      let written = 0;
      let busyMs = 0;
      try {
        while (written < values.length) {
          const chunk = values.slice(written, written + latestChunkRows);
          busyMs += await lane.run(async () => {
            const started = Date.now();
            await writeLatest(pool, chunk);
            return Date.now() - started;
          });
          written += chunk.length;
        }
        lastLatestFlushMs = busyMs;
      } catch (error) {
        // Back in line, under anything newer noted meanwhile.
        for (const v of values.slice(written))
          keepNewest(ofDevice(latest, v.deviceId), v.deviceId, v.metric, v.time, v.value);
        logFailure(
          error,
          1,
          values.length - written,
          isTransient(error),
          'latest values not written; retrying',
        );
      } finally {
        flushing = undefined;
      }
    })().finally(() => {
      latestFlush = undefined;
      scheduleLatestFlush();
    });
    return latestFlush;
  }

  function logFailure(error: unknown, attempt: number, rows: number, transient: boolean, what: string) {
    metrics.storageErrors.inc();
    const now = Date.now();
    if (now - lastErrorLog > 5_000) {
      lastErrorLog = now;
      log.error({ err: error, attempt, rows, transient }, what);
    }
  }

  /** Moves a batch to the journal; its writers are answered once it is synced there. */
  async function spill(batch: Batch): Promise<void> {
    const appended = batch.requests.map((request) => journal!.append(encodeRequest(request)));
    const results = await Promise.allSettled(appended);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) batch.answer?.reject(failed.reason as Error);
    else batch.answer?.resolve();
    updateGauge();
  }

  function enterJournalMode(reason: string, error?: unknown) {
    if (mode === 'journal' || !journal) return;
    mode = 'journal';
    metrics.ingestDegraded.set(1);
    log.warn({ err: error, reason }, 'database unavailable: ingest continues into the local journal');
    // What waits in memory goes to the journal too, in order, rather than wait for the database.
    seal();
    for (const batch of sealed.splice(0)) void spill(batch).finally(() => batchDone(batch));
    wakeRoom();
    replaying ??= replay().finally(() => {
      replaying = undefined;
    });
  }

  async function store(batch: Batch): Promise<void> {
    let attempt = 0;
    for (;;) {
      if (mode === 'journal') return spill(batch);
      const started = process.hrtime.bigint();
      const insert = insertBatch(batch);
      try {
        let stored: number;
        if (journal) {
          let deadline: NodeJS.Timeout | undefined;
          const outcome = await Promise.race([
            insert,
            new Promise<typeof timedOut>((r) => {
              // Decided after the next poll of the event loop: on a busy process the database's
              // answer can already be in the socket, unread, when the timer fires.
              deadline = setTimeout(() => setImmediate(() => r(timedOut)), journalAfterMs);
            }),
          ]).finally(() => clearTimeout(deadline));
          if (outcome === timedOut) {
            // The database hangs or crawls: the journal answers the devices, the replay stores the
            // batch later (a statement that still completes makes that replay a no-op, not a duplicate).
            insert.catch(() => {});
            enterJournalMode(`a batch was not stored within ${journalAfterMs} ms`);
            return spill(batch);
          }
          stored = outcome;
        } else {
          stored = await insert;
        }
        countStored(batch, stored, started);
        batch.answer?.resolve();
        return;
      } catch (error) {
        attempt++;
        const transient = isTransient(error);
        logFailure(error, attempt, batch.size, transient, 'batch write failed; retrying');
        if (transient && journal) {
          enterJournalMode('the database failed a batch', error);
          return spill(batch);
        }
        if (!transient && attempt >= 3) {
          // The database refuses these rows themselves (a bug, not an outage): hand them back so
          // ingest can keep them as dead letters instead of blocking every later batch behind them.
          batch.answer?.reject(error as Error);
          return;
        }
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
  }

  function toBatch(requests: WriteRequest[]): Batch {
    const batch = emptyBatch();
    for (const request of requests) add(batch, request);
    return batch;
  }

  /** Stores replayed records; rows the database refuses as such are logged and skipped one by one. */
  async function storeReplayed(requests: WriteRequest[]): Promise<boolean> {
    const batch = toBatch(requests);
    let attempt = 0;
    while (!stopReplay) {
      const started = process.hrtime.bigint();
      try {
        countStored(batch, await insertBatch(batch), started);
        return true;
      } catch (error) {
        attempt++;
        const transient = isTransient(error);
        logFailure(error, attempt, batch.size, transient, 'journal replay: batch write failed; retrying');
        if (!transient && attempt >= 3) {
          for (const request of requests) {
            const one = toBatch([request]);
            await insertBatch(one).then(
              (stored) => countStored(one, stored, started),
              (e) => {
                metrics.journalRefused.inc();
                log.error({ err: e, request }, 'journal replay: the database refused a record; skipped');
              },
            );
          }
          return true;
        }
        await sleep(Math.min(5_000, 100 * 2 ** Math.min(attempt, 6)));
      }
    }
    return false;
  }

  /** Replays the journal in order until it is empty, then returns the writer to direct writes. */
  async function replay(): Promise<void> {
    const j = journal!;
    let cursor: JournalCursor = j.head();
    const replayLimit = Math.max(100, Math.min(options.batchRows, 5_000));
    while (!stopReplay) {
      const { records, next } = await j.read(cursor, replayLimit);
      if (records.length > 0) {
        if (!(await storeReplayed(records.map(decodeRequest)))) return;
        metrics.journalReplayed.inc(records.length);
        cursor = next;
        await j.release(cursor);
        updateGauge();
        continue;
      }
      await j.release(cursor);
      if (j.empty()) {
        // Everything synced is stored and nothing is on its way in: back to direct writes, in this tick.
        mode = 'direct';
        metrics.ingestDegraded.set(0);
        updateGauge();
        log.info('journal replayed: ingest writes to the database again');
        wakeRoom();
        return;
      }
      await j.synced();
      await sleep(5);
    }
  }

  function add(batch: Batch, request: WriteRequest): number {
    let rows = 0;
    batch.requests.push(request);
    if (request.telemetry) rows += batch.telemetry.add(request.telemetry);
    if (request.status) {
      batch.statuses.push(request.status);
      rows++;
    }
    if (request.event) {
      batch.events.push(request.event);
      rows++;
    }
    batch.size += rows;
    return rows;
  }

  /** Not async: the common case, room in the queue, costs no promise of its own. */
  function writeNow(request: WriteRequest, urgent: boolean, droppable: boolean): Promise<void> {
    if (mode === 'journal' && journal) {
      if (droppable && journal.full()) return dropped();
      const appended = journal.append(encodeRequest(request));
      wakeDrainersIfIdle();
      return appended;
    }
    const done = answerOf(current);
    queued += add(current, request);
    if (urgent || current.size >= options.batchRows) {
      seal();
      pump();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        seal();
        pump();
      }, options.flushMs);
    }
    return done;
  }

  async function writeWhenRoom(request: WriteRequest, urgent: boolean): Promise<void> {
    while (queueFull()) {
      waitingForRoom++;
      await new Promise<void>((r) => roomWaiters.push(r));
      released--;
      waitingForRoom--;
    }
    return writeNow(request, urgent, false);
  }

  function dropped(): Promise<void> {
    metrics.messagesDropped.inc();
    return resolved;
  }

  async function waitForReplay(ms: number) {
    if (!replaying) return;
    let deadline: NodeJS.Timeout | undefined;
    await Promise.race([replaying, new Promise<void>((r) => (deadline = setTimeout(r, ms)))]);
    clearTimeout(deadline);
  }

  const writer: TelemetryWriter = {
    async start() {
      if (!journal) return;
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
        enterJournalMode('the journal holds records from the previous run');
      }
    },

    write(request, urgent = false, droppable = false) {
      if (stopped) return Promise.reject(new Error('writer stopped'));
      if (!request.telemetry && !request.status && !request.event) return resolved;
      if (queueFull()) {
        // QoS 0 waits for room too while the line is short: its device's connection is not read
        // while it waits, which slows a flood at its source. Past that line it is dropped (counted),
        // so what waits in memory stays bounded.
        return droppable && waitingForRoom >= qos0LineLimit ? dropped() : writeWhenRoom(request, urgent);
      }
      return writeNow(request, urgent, droppable);
    },

    pending: () => queued,
    accepting: () => (mode === 'direct' ? !queueFull() : !journal?.full()),
    unflushedLatest: (deviceId) => [...(flushing?.get(deviceId) ?? []), ...(latest.get(deviceId) ?? [])],
    degraded: () => mode === 'journal',

    async drain() {
      seal();
      pump();
      if (!idle()) await new Promise<void>((r) => drainWaiters.push(r));
      if (journal && mode === 'journal') {
        await journal.synced();
        await waitForReplay(stopReplayMs);
      }
      await flushLatest();
    },

    async stop() {
      if (ownLane) lane.hurry(); // a shared lane is hurried by whoever stops the process
      await writer.drain();
      stopped = true;
      clearTimeout(latestTimer);
      if (!journal) return;
      stopReplay = true;
      await replaying;
      await flushLatest();
      await journal.close();
      if (!journal.empty()) {
        log.warn(
          { journalBytes: journal.stats().bytes },
          'stopping with records still in the journal: they are replayed at the next start',
        );
      }
    },
  };
  return writer;
}
