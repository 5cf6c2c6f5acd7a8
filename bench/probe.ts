// Publish → stored, observed on the system's own pool: when a query inserting into telemetry_messages
// completes, every message in it is stored, and its ts is its publish time (the generator stamps it).
// An observer on the real pool and the real database, not a stand-in: the query runs unchanged.
import type pg from 'pg';
import { Histogram } from './histogram.ts';

export interface StoreProbe {
  latency: Histogram;
  /** Completion time of the last telemetry insert, ms. */
  lastStoredAt(): number;
  /** Telemetry inserts seen; 0 after a loaded run means the probe no longer recognises the insert. */
  inserts(): number;
  /** Messages of counted devices stored since the last reset. */
  messages(): number;
  reset(): void;
}

type Query = (...args: unknown[]) => unknown;

export function watchTelemetryInserts(pool: pg.Pool, counts: (deviceId: string) => boolean): StoreProbe {
  const latency = new Histogram();
  let lastStoredAt = 0;
  let inserts = 0;
  let messages = 0;

  function record(values: unknown[]) {
    const now = Date.now();
    lastStoredAt = now;
    inserts++;
    // The statement's one parameter: [[deviceId, epochMs, metrics], …], one entry per message.
    for (const [deviceId, time] of JSON.parse(values[0] as string) as Array<[string, number]>) {
      if (counts(deviceId)) {
        latency.add(now - time);
        messages++;
      }
    }
  }

  function wrap(target: { query: Query }) {
    const original = target.query;
    target.query = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      const [text, values] = args;
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

  wrap(pool as unknown as { query: Query });
  // Writers that check a client out of the pool are seen too.
  pool.on('connect', (client) => wrap(client as unknown as { query: Query }));
  return {
    latency,
    lastStoredAt: () => lastStoredAt,
    inserts: () => inserts,
    messages: () => messages,
    reset() {
      messages = 0;
      latency.reset();
      lastStoredAt = 0;
      inserts = 0;
    },
  };
}
