// Message-rate limits, per device and for the whole ingest (docs/decisions/0008-journal.md, Overload;
// docs/decisions/0020-shared-limits.md). Nothing acknowledged is thrown away for going too fast:
// - a device over its own rate (INGEST_DEVICE_RATE_PER_S, bursts of INGEST_DEVICE_BURST) has its QoS 1
//   messages delayed, each in its turn at that rate. The delay holds the publish's PUBACK, and the
//   embedded broker reads nothing more from a connection while a publish of it waits, so the device is
//   slowed to its rate (throttled, as EMQX does) instead of acknowledged and dropped. Its QoS 0 excess,
//   which nobody acknowledges, is refused: one RATE_LIMITED dead letter per device per reportEveryMs
//   (with the count), every refusal in ioc_ingest_rate_limited_total{scope="device"};
// - over the global rate (INGEST_GLOBAL_RATE_PER_S) messages are delayed the same way; a QoS 0 message
//   that would wait over maxGlobalDelayMs is dropped and counted instead.
// With limits shared between instances (src/limits/sharedDevices.ts) a device's message costs more
// tokens here when other instances take its messages too. The buckets are src/limits/tokenBucket.ts;
// an admitted message allocates nothing.
import type { DeviceShares } from '../limits/sharedDevices.ts';
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
  /** A QoS 1 message of a device over its rate is held back (not refused). */
  onThrottled?: () => void;
  clock?: () => number;
  reportEveryMs?: number;
  maxGlobalDelayMs?: number;
  /** This instance's share of each device's rate, when other instances take its messages too. */
  shares?: DeviceShares;
}): IngestLimiter {
  const clock = options.clock ?? Date.now;
  const reportEveryMs = options.reportEveryMs ?? 10_000;
  const maxGlobalDelayMs = options.maxGlobalDelayMs ?? 1_000;
  const shares = options.shares;
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
      let deviceDelayMs = 0;
      if (devices) {
        const cost = shares ? shares.noteAndCost(deviceId) : 1;
        if (droppable) {
          if (devices.take(deviceId, cost, now) > 0) return refuseDevice(deviceId, now);
        } else {
          // Taken now, in debt if need be: the message goes when its tokens will have come, and the
          // next one of the device waits behind it.
          deviceDelayMs = devices.reserve(deviceId, Number.POSITIVE_INFINITY, cost, now)!;
          if (deviceDelayMs > 0) options.onThrottled?.();
        }
      }
      if (!global) return deviceDelayMs === 0 ? admitted : { ok: true, delayMs: deviceDelayMs };
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
      if (delayMs > 0) options.onLimited?.('global');
      const wait = Math.max(delayMs, deviceDelayMs);
      return wait === 0 ? admitted : { ok: true, delayMs: wait };
    },
    tracked: () => devices?.size() ?? 0,
  };
}
