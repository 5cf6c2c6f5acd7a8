// The allowance of each API key: a province job gets a steady rate with room for a short burst
// (FEEDS_RATE_PER_MIN of each), and one misbehaving client cannot starve the others or the database.
// One limit per key (src/limits/keyLimit.ts): this process's token buckets, or with a shared store
// (REDIS_URL) counted across instances, so a key does not get its allowance once per instance.
import { createKeyLimit } from '../limits/keyLimit.ts';
import type { SharedLimitStore } from '../limits/sharedStore.ts';

export interface KeyAllowance {
  /** Spends one request of the key's allowance; 0 when allowed, else the seconds to wait (Retry-After). */
  take(keyId: number): number | Promise<number>;
}

export function createKeyAllowance(
  perMinute: number,
  clock: () => number = Date.now,
  shared?: SharedLimitStore,
): KeyAllowance {
  const limit = createKeyLimit({ name: 'feed_key', points: perMinute, durationS: 60, clock }, shared);
  const seconds = (ms: number) => Math.ceil(ms / 1000);
  return {
    take(keyId) {
      const wait = limit.take(`key:${keyId}`);
      return typeof wait === 'number' ? seconds(wait) : wait.then(seconds);
    },
  };
}
