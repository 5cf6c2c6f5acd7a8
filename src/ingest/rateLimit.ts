// Message-rate limits, per device and for the whole ingest (docs/decisions/0008-journal.md, Overload).
// A device over its own rate (INGEST_DEVICE_RATE_PER_S, bursts of INGEST_DEVICE_BURST) has its excess
// refused: one RATE_LIMITED dead letter per device per reportEveryMs (with the count), every refusal in
// ioc_ingest_rate_limited_total{scope="device"}, so a flooding device fills neither the dead letters nor
// the log and costs its neighbours nothing. Over the global rate (INGEST_GLOBAL_RATE_PER_S) messages are
// delayed, not refused: the wait holds the sender's connection (back-pressure), and honest devices'
// data is never thrown away for someone else's flood; a QoS 0 message that would wait over
// maxGlobalDelayMs is dropped and counted instead. The buckets are src/limits/tokenBucket.ts; an
// admitted message allocates nothing.
import { createTokenBuckets, type TokenBuckets } from '../limits/tokenBucket.ts';

export type Admission =
  | { ok: true; delayMs: number }
  | {
      ok: false;
      scope: 'device' | 'global' /** Keep a dead letter for this one (sampled). */;
      report?: number;
    };

export interface IngestLimiter {
  admit(deviceId: string, droppable: boolean): Admission;
  /** Devices currently tracked (bounded by the active fleet; idle ones are forgotten). */
  tracked(): number;
}

/** Refusals of one device since its last dead letter. */
interface Refusals {
  count: number;
  reportedAt: number;
}

const globalKey = 'global';

export function createIngestLimiter(options: {
  devicePerS: number;
  deviceBurst: number;
  globalPerS: number;
  onLimited?: (scope: 'device' | 'global') => void;
  clock?: () => number;
  reportEveryMs?: number;
  maxGlobalDelayMs?: number;
}): IngestLimiter {
  const clock = options.clock ?? Date.now;
  const reportEveryMs = options.reportEveryMs ?? 10_000;
  const maxGlobalDelayMs = options.maxGlobalDelayMs ?? 1_000;
  const devices: TokenBuckets | undefined =
    options.devicePerS > 0
      ? createTokenBuckets({
          refill: options.devicePerS,
          everyMs: 1_000,
          burst: Math.max(1, options.deviceBurst),
          clock,
        })
      : undefined;
  // A second's worth: tokens below zero are the queue of delayed messages, each waiting its turn.
  const global: TokenBuckets | undefined =
    options.globalPerS > 0
      ? createTokenBuckets({
          refill: options.globalPerS,
          everyMs: 1_000,
          burst: Math.max(1, options.globalPerS),
          clock,
        })
      : undefined;
  // Only refused devices have an entry. One with nothing to report and its last report old is the
  // same as none (its next refusal is reported at once), so it is forgotten: memory follows the flood.
  const refusals = new Map<string, Refusals>();
  let sweptAt = clock();

  function refuseDevice(deviceId: string, now: number): Admission {
    options.onLimited?.('device');
    if (now - sweptAt >= 60_000) {
      sweptAt = now;
      for (const [id, entry] of refusals) {
        if (entry.count === 0 && now - entry.reportedAt >= reportEveryMs) refusals.delete(id);
      }
    }
    let entry = refusals.get(deviceId);
    if (entry === undefined) {
      entry = { count: 0, reportedAt: Number.NEGATIVE_INFINITY };
      refusals.set(deviceId, entry);
    }
    entry.count++;
    if (now - entry.reportedAt >= reportEveryMs) {
      const report = entry.count;
      entry.count = 0;
      entry.reportedAt = now;
      return { ok: false, scope: 'device', report };
    }
    return refused.device;
  }

  // The answers to nearly every message, made once.
  const admitted: Admission = Object.freeze({ ok: true, delayMs: 0 });
  const refused = {
    device: Object.freeze({ ok: false, scope: 'device' }) as Admission,
    global: Object.freeze({ ok: false, scope: 'global' }) as Admission,
  };

  return {
    admit(deviceId, droppable) {
      const now = clock();
      if (devices && devices.take(deviceId, 1, now) > 0) return refuseDevice(deviceId, now);
      if (!global) return admitted;
      const delayMs = global.reserve(
        globalKey,
        droppable ? maxGlobalDelayMs : Number.POSITIVE_INFINITY,
        1,
        now,
      );
      if (delayMs === undefined) {
        options.onLimited?.('global');
        return refused.global;
      }
      if (delayMs === 0) return admitted;
      options.onLimited?.('global');
      return { ok: true, delayMs };
    },
    tracked: () => devices?.size() ?? 0,
  };
}
