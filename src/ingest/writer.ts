// The batch writer: accepted readings wait here, in a bounded queue, until the database has them.
// A message's promise resolves once its rows are stored, so the broker acknowledges QoS 1 only then.
// When the queue is full, new writes wait for room (back-pressure to the publishers, not memory growth).
// A database outage is retried with back-off; nothing accepted is dropped.
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Pool } from '../storage/pool.ts';
import {
  type EventRow,
  insertEvents,
  insertStatuses,
  insertTelemetry,
  type StatusRow,
  type TelemetryColumns,
} from '../storage/telemetry.ts';

export interface WriteRequest {
  telemetry?: { time: Date; deviceId: string; metrics: Record<string, number> };
  status?: StatusRow;
  event?: EventRow;
}

interface Batch {
  telemetry: TelemetryColumns;
  statuses: StatusRow[];
  events: EventRow[];
  size: number;
  waiters: Array<{ resolve: () => void; reject: (error: Error) => void }>;
}

export interface WriterOptions {
  batchRows: number;
  flushMs: number;
  queueLimit: number;
  /** Batches written at the same time, each on its own connection. */
  concurrency?: number;
}

export interface TelemetryWriter {
  write(request: WriteRequest, urgent?: boolean): Promise<void>;
  /** Rows accepted but not yet stored. */
  pending(): number;
  /** Resolves when everything accepted so far is stored. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const emptyBatch = (): Batch => ({
  telemetry: { time: [], deviceId: [], metric: [], value: [] },
  statuses: [],
  events: [],
  size: 0,
  waiters: [],
});

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
}): TelemetryWriter {
  const { pool, log, metrics, options } = deps;
  const concurrency = options.concurrency ?? 2;
  let current = emptyBatch();
  const sealed: Batch[] = [];
  let inFlight = 0;
  let queued = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const roomWaiters: Array<() => void> = [];
  // Writers released from roomWaiters run on a later tick: until they have added their rows the
  // queue is not really empty, and drain() must not say so.
  let waitingForRoom = 0;
  const idle = () => queued === 0 && current.size === 0 && waitingForRoom === 0;
  const drainWaiters: Array<() => void> = [];
  let lastErrorLog = 0;

  function updateGauge() {
    metrics.queueRows.set(queued);
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

  function pump() {
    while (inFlight < concurrency && sealed.length > 0) {
      const batch = sealed.shift()!;
      inFlight++;
      void store(batch).finally(() => {
        inFlight--;
        queued -= batch.size;
        updateGauge();
        while (roomWaiters.length > 0 && queued < options.queueLimit) roomWaiters.shift()!();
        if (idle()) while (drainWaiters.length > 0) drainWaiters.shift()!();
        pump();
      });
    }
  }

  async function store(batch: Batch): Promise<void> {
    let attempt = 0;
    for (;;) {
      const started = process.hrtime.bigint();
      try {
        const stored = await insertTelemetry(pool, batch.telemetry);
        await insertStatuses(pool, batch.statuses);
        await insertEvents(pool, batch.events);
        metrics.flushSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.rowsStored.inc(stored);
        metrics.rowsDuplicate.inc(batch.telemetry.time.length - stored);
        for (const waiter of batch.waiters) waiter.resolve();
        return;
      } catch (error) {
        attempt++;
        metrics.storageErrors.inc();
        const transient = isTransient(error);
        const now = Date.now();
        if (now - lastErrorLog > 5_000) {
          lastErrorLog = now;
          log.error({ err: error, attempt, rows: batch.size, transient }, 'batch write failed; retrying');
        }
        if (!transient && attempt >= 3) {
          // The database refuses these rows themselves (a bug, not an outage): hand them back so
          // ingest can keep them as dead letters instead of blocking every later batch behind them.
          for (const waiter of batch.waiters) waiter.reject(error as Error);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(5_000, 100 * 2 ** Math.min(attempt, 6))));
      }
    }
  }

  function add(batch: Batch, request: WriteRequest): number {
    let rows = 0;
    const t = request.telemetry;
    if (t) {
      for (const metric in t.metrics) {
        batch.telemetry.time.push(t.time);
        batch.telemetry.deviceId.push(t.deviceId);
        batch.telemetry.metric.push(metric);
        batch.telemetry.value.push(t.metrics[metric]!);
        rows++;
      }
    }
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

  return {
    async write(request, urgent = false) {
      if (stopped) throw new Error('writer stopped');
      if (!request.telemetry && !request.status && !request.event) return;
      while (queued >= options.queueLimit) {
        waitingForRoom++;
        await new Promise<void>((r) => roomWaiters.push(r));
        waitingForRoom--;
      }
      const done = new Promise<void>((resolve, reject) => current.waiters.push({ resolve, reject }));
      queued += add(current, request);
      updateGauge();
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
    },

    pending: () => queued,

    drain() {
      seal();
      pump();
      if (idle()) return Promise.resolve();
      return new Promise<void>((r) => drainWaiters.push(r));
    },

    async stop() {
      await this.drain();
      stopped = true;
    },
  };
}
