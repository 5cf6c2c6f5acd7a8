// The dead-letter sink: refusals are counted at once, kept in dead_letters in batches, and logged as
// a periodic summary (a device sending garbage ten times a second must not flood the log or the disk).
import type { DeadLetterReason } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { type DeadLetterRow, insertDeadLetters } from '../storage/deadLetters.ts';
import type { Pool } from '../storage/pool.ts';
import { isTransient } from './retry.ts';

const keptPayloadBytes = 4_096;

/** PostgreSQL text cannot hold U+0000, and garbage payloads put it in parser messages and topics. */
const printable = (text: string, max: number) => text.replaceAll('\u0000', '\\0').slice(0, max);

export interface DeadLetterInput {
  deviceId: string | null;
  topic: string;
  reason: DeadLetterReason;
  message: string;
  payload: Buffer;
  receivedAt: Date;
}

export interface DeadLetterSink {
  add(letter: DeadLetterInput): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function createDeadLetterSink(deps: {
  pool: Pool;
  log: Logger;
  metrics: Metrics;
  bus: EventBus;
  /** Dead letters waiting for the database; beyond it they are counted but not kept. */
  limit?: number;
  flushMs?: number;
}): DeadLetterSink {
  const { pool, log, metrics, bus } = deps;
  const limit = deps.limit ?? 10_000;
  let queue: DeadLetterRow[] = [];
  let flushing: Promise<void> | undefined;
  const counts = new Map<string, number>();

  async function flush(): Promise<void> {
    while (flushing) await flushing;
    if (queue.length === 0) return;
    const rows = queue;
    queue = [];
    flushing = insertDeadLetters(pool, rows)
      .catch((error) => {
        if (!isTransient(error)) {
          // Rows the database refuses would block every later dead letter: count them and move on.
          metrics.deadLettersDropped.inc(rows.length);
          log.error({ err: error, dropped: rows.length }, 'dead letters refused by the database; dropped');
          return;
        }
        // Put them back (bounded) for the next round; an outage must not lose the evidence.
        queue = rows.concat(queue).slice(0, limit);
        log.warn({ err: error, waiting: queue.length }, 'could not store dead letters; will retry');
      })
      .finally(() => {
        flushing = undefined;
      });
    await flushing;
  }

  const flushTimer = setInterval(() => void flush(), deps.flushMs ?? 250);
  const summaryTimer = setInterval(() => {
    if (counts.size === 0) return;
    log.warn(
      { refused: Object.fromEntries(counts) },
      'refused MQTT messages in the last minute (see dead_letters)',
    );
    counts.clear();
  }, 60_000);
  flushTimer.unref();
  summaryTimer.unref();

  return {
    add(letter) {
      metrics.deadLetters.inc({ reason: letter.reason });
      counts.set(letter.reason, (counts.get(letter.reason) ?? 0) + 1);
      bus.emit('deadLetter', { deviceId: letter.deviceId, topic: letter.topic, reason: letter.reason });
      if (queue.length >= limit) {
        metrics.deadLettersDropped.inc();
        return;
      }
      queue.push({
        receivedAt: letter.receivedAt,
        deviceId: letter.deviceId === null ? null : printable(letter.deviceId, 128),
        topic: printable(letter.topic, 512),
        reason: letter.reason,
        message: printable(letter.message, 2_000),
        payload: letter.payload.subarray(0, keptPayloadBytes),
        payloadBytes: letter.payload.length,
      });
    },
    flush,
    async stop() {
      clearInterval(flushTimer);
      clearInterval(summaryTimer);
      await flush();
    },
  };
}
