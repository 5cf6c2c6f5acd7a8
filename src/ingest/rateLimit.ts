// Message-rate limits, per device and for the whole ingest (docs/decisions/0008-journal.md, Overload).
// A device over its own rate (INGEST_DEVICE_RATE_PER_S, bursts of INGEST_DEVICE_BURST) has its excess
// refused: one RATE_LIMITED dead letter per device per reportEveryMs (with the count), every refusal in
// ioc_ingest_rate_limited_total{scope="device"}, so a flooding device fills neither the dead letters nor
// the log and costs its neighbours nothing. Over the global rate (INGEST_GLOBAL_RATE_PER_S) messages are
// delayed, not refused: the wait holds the sender's connection (back-pressure), and honest devices'
// data is never thrown away for someone else's flood; a QoS 0 message that would wait over
// maxGlobalDelayMs is dropped and counted instead. Token buckets; time is injected.

export type Admission =
  | { ok: true; delayMs: number }
  | {
      ok: false;
      scope: 'device' | 'global' /** Keep a dead letter for this one (sampled). */;
      report?: number;
    };

export interface RateLimiter {
  admit(deviceId: string, droppable: boolean): Admission;
  /** Devices currently tracked (bounded by the active fleet; idle ones are forgotten). */
  tracked(): number;
}

interface Bucket {
  tokens: number;
  at: number;
  refused: number;
  reportedAt: number;
}

export function createRateLimiter(options: {
  devicePerS: number;
  deviceBurst: number;
  globalPerS: number;
  onLimited?: (scope: 'device' | 'global') => void;
  clock?: () => number;
  reportEveryMs?: number;
  maxGlobalDelayMs?: number;
}): RateLimiter {
  const clock = options.clock ?? Date.now;
  const reportEveryMs = options.reportEveryMs ?? 10_000;
  const maxGlobalDelayMs = options.maxGlobalDelayMs ?? 1_000;
  const burst = Math.max(1, options.deviceBurst);
  const buckets = new Map<string, Bucket>();
  let globalTokens = Math.max(1, options.globalPerS);
  let globalAt = clock();
  let sweptAt = clock();

  function sweep(now: number) {
    // A bucket refilled to its burst is the same as no bucket: forget it (memory follows the fleet).
    if (now - sweptAt < 60_000) return;
    sweptAt = now;
    const full = (burst / options.devicePerS) * 1000;
    for (const [id, b] of buckets) if (now - b.at > full && b.refused === 0) buckets.delete(id);
  }

  function admitDevice(deviceId: string, now: number): Admission | undefined {
    if (options.devicePerS <= 0) return undefined;
    let bucket = buckets.get(deviceId);
    if (!bucket) {
      bucket = { tokens: burst, at: now, refused: 0, reportedAt: 0 };
      buckets.set(deviceId, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * options.devicePerS);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    bucket.refused++;
    options.onLimited?.('device');
    if (now - bucket.reportedAt >= reportEveryMs) {
      const report = bucket.refused;
      bucket.refused = 0;
      bucket.reportedAt = now;
      return { ok: false, scope: 'device', report };
    }
    return { ok: false, scope: 'device' };
  }

  // The answer to nearly every message, made once.
  const admitted: Admission = Object.freeze({ ok: true, delayMs: 0 });

  return {
    admit(deviceId, droppable) {
      const now = clock();
      sweep(now);
      const device = admitDevice(deviceId, now);
      if (device) return device;
      if (options.globalPerS <= 0) return admitted;
      const rate = options.globalPerS;
      globalTokens = Math.min(rate, globalTokens + ((now - globalAt) / 1000) * rate);
      globalAt = now;
      // Tokens may go below zero: that is the queue of delayed messages, each waiting its turn.
      const delayMs = globalTokens >= 1 ? 0 : ((1 - globalTokens) / rate) * 1000;
      if (delayMs > maxGlobalDelayMs && droppable) {
        options.onLimited?.('global');
        return { ok: false, scope: 'global' };
      }
      globalTokens -= 1;
      if (delayMs === 0) return admitted;
      options.onLimited?.('global');
      return { ok: true, delayMs };
    },
    tracked: () => buckets.size,
  };
}
