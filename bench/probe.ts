// Publish → stored, observed on the system's own pool: when a query inserting into telemetry_messages
// completes, every message in it is stored, and its ts is its publish time (the generator stamps it).
// An observer on the real pool and the real database, not a stand-in: the query runs unchanged.
// It costs the system next to nothing while a step runs: a completed insert is kept as it is (its
// JSON parameter and the time), counted by scanning for the devices' marker, and parsed into the
// latency histogram only when the step asks for it, after the load.
import type pg from 'pg';
import { Histogram } from './histogram.ts';

export interface StoreProbe {
  /** Publish → stored of the counted devices' messages since the last reset. */
  latency(): Histogram;
  /** Completion time of the last telemetry insert, ms. */
  lastStoredAt(): number;
  /** Telemetry inserts seen; 0 after a loaded run means the probe no longer recognises the insert. */
  inserts(): number;
  /** Messages of counted devices stored since the last reset. */
  messages(): number;
  /**
   * Statements on the pool that took longer than `slowMs` since the last reset (a refresher pass, a
   * flush of latest values): when a step's tail latency rises, these say what ran at the time.
   */
  slowStatements(): SlowStatement[];
  /** Worst publish → stored per second of publish time, from the step's start, the worst first. */
  worstSeconds(startedAt: number, count: number): Array<{ second: number; maxMs: number }>;
  reset(): void;
}

export interface SlowStatement {
  /** ms since the last reset */
  startedAt: number;
  ms: number;
  /** The statement's first words. */
  text: string;
}

const slowMs = 250;

type Query = (...args: unknown[]) => unknown;

/**
 * Watches the inserts of the messages of devices whose id contains `marker`, on `pool`; slow
 * statements on it and on `otherPools` (the refresher's, the API's).
 */
export function watchTelemetryInserts(pool: pg.Pool, marker: string, otherPools: pg.Pool[] = []): StoreProbe {
  const latency = new Histogram();
  let kept: Array<{ at: number; json: string }> = [];
  let lastStoredAt = 0;
  let inserts = 0;
  let messages = 0;
  let resetAt = Date.now();
  let slow: SlowStatement[] = [];
  let worst = new Map<number, number>();

  function record(values: unknown[]) {
    const now = Date.now();
    lastStoredAt = now;
    inserts++;
    const json = values[0] as string;
    for (let i = json.indexOf(marker); i !== -1; i = json.indexOf(marker, i + marker.length)) messages++;
    kept.push({ at: now, json });
  }

  function histogram(): Histogram {
    // The statement's one parameter: [[deviceId, epochMs, metrics], …], one entry per message.
    for (const { at, json } of kept) {
      for (const [deviceId, time] of JSON.parse(json) as Array<[string, number]>) {
        if (!deviceId.includes(marker)) continue;
        latency.add(at - time);
        const second = Math.floor(time / 1000);
        if ((worst.get(second) ?? 0) < at - time) worst.set(second, at - time);
      }
    }
    kept = [];
    return latency;
  }

  function wrap(target: { query: Query }) {
    const original = target.query;
    target.query = function (this: unknown, ...args: unknown[]) {
      const began = Date.now();
      const result = original.apply(this, args);
      const [text, values] = args;
      // Slow statements other than the inserts themselves (their time is what the latency shows).
      if (
        typeof text === 'string' &&
        result instanceof Promise &&
        !/INSERT INTO telemetry_messages\b/.test(text)
      ) {
        const done = () => {
          const ms = Date.now() - began;
          if (ms > slowMs)
            slow.push({
              startedAt: began - resetAt,
              ms,
              text: text.replace(/\s+/g, ' ').trim().slice(0, 70),
            });
        };
        result.then(done, done);
      }
      if (
        typeof text === 'string' &&
        /INSERT INTO telemetry_messages\b/.test(text) &&
        Array.isArray(values) &&
        typeof values[0] === 'string' &&
        result instanceof Promise
      ) {
        result.then(
          () => record(values),
          () => {},
        );
      }
      return result;
    };
  }

  // Writers that check a client out of the pool are seen too.
  for (const watched of [pool, ...otherPools]) {
    wrap(watched as unknown as { query: Query });
    watched.on('connect', (client) => wrap(client as unknown as { query: Query }));
  }
  return {
    latency: histogram,
    lastStoredAt: () => lastStoredAt,
    inserts: () => inserts,
    messages: () => messages,
    slowStatements: () => slow,
    worstSeconds(startedAt, count) {
      histogram();
      return [...worst]
        .map(([second, maxMs]) => ({ second: second - Math.floor(startedAt / 1000), maxMs }))
        .sort((a, b) => b.maxMs - a.maxMs)
        .slice(0, count);
    },
    reset() {
      resetAt = Date.now();
      slow = [];
      worst = new Map();
      messages = 0;
      kept = [];
      latency.reset();
      lastStoredAt = 0;
      inserts = 0;
    },
  };
}
