// The allowance of each API key: a province job gets a steady rate with room for a short burst
// (FEEDS_RATE_PER_MIN of each), and one misbehaving client cannot starve the others or the database.
// Token buckets of src/limits/tokenBucket.ts, one per key.
import { createTokenBuckets } from '../limits/tokenBucket.ts';

export interface KeyAllowance {
  /** Spends one request of the key's allowance; 0 when allowed, else the seconds to wait (Retry-After). */
  take(keyId: number): number;
}

export function createKeyAllowance(perMinute: number, clock: () => number = Date.now): KeyAllowance {
  const buckets = createTokenBuckets({ refill: perMinute, everyMs: 60_000, burst: perMinute, clock });
  return {
    take(keyId) {
      return Math.ceil(buckets.take(`key:${keyId}`) / 1000);
    },
  };
}
