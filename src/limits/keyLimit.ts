// A limit per key (a login's source address, a feed API key) that holds across instances: with a
// shared store the points are counted in Redis by rate-limiter-flexible (fixed windows of `durationS`),
// else, and while Redis is away, by this process's token buckets. Not for the ingest path: each call
// is a round trip to Redis (see sharedDevices.ts for how devices avoid that).
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { SharedLimitStore } from './sharedStore.ts';
import { createTokenBuckets, type TokenBuckets } from './tokenBucket.ts';

export interface KeyLimit {
  /** Spends a point of `key`: 0 when it had one, else the ms until it will. */
  take(key: string): number | Promise<number>;
  /** Gives back a point taken for something that did not happen after all. */
  refund(key: string): void;
}

export interface KeyLimitOptions {
  /** Names the limit in keys, logs and metrics (login_address, feed_key). */
  name: string;
  /** Points a key has per `durationS` (and a burst of as many). */
  points: number;
  durationS: number;
  /** Beyond this many keys in this process the oldest is forgotten. */
  maxKeys?: number;
  clock?: () => number;
}

/** The process's own limit: token buckets with a burst of `points`, refilled over `durationS`. */
export function localKeyLimit(options: KeyLimitOptions): KeyLimit & { buckets: TokenBuckets } {
  const buckets = createTokenBuckets({
    refill: options.points,
    everyMs: options.durationS * 1000,
    burst: options.points,
    maxKeys: options.maxKeys,
    clock: options.clock,
  });
  return { buckets, take: (key) => buckets.take(key), refund: (key) => buckets.refund(key) };
}

/** Shared through `store` when given, else the process's own. */
export function createKeyLimit(options: KeyLimitOptions, store?: SharedLimitStore): KeyLimit {
  const local = localKeyLimit(options);
  if (!store) return local;
  const shared = new RateLimiterRedis({
    storeClient: store.client,
    useRedisPackage: true,
    rejectIfRedisNotReady: true,
    keyPrefix: `${store.prefix}:limits:${options.name}`,
    points: options.points,
    duration: options.durationS,
  });
  return {
    async take(key) {
      try {
        await shared.consume(key);
        store.succeeded(options.name);
        return 0;
      } catch (answer) {
        // Over the limit comes back as a RateLimiterRes, a failed call as an Error.
        if (answer instanceof RateLimiterRes) {
          store.succeeded(options.name);
          return Math.max(1, answer.msBeforeNext);
        }
        store.failed(options.name, answer);
        return local.take(key);
      }
    },
    refund(key) {
      shared.reward(key).catch(() => local.refund(key));
    },
  };
}
