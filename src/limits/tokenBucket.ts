// Token buckets by key: the one mechanism under every rate limit (device and global ingest, feed API
// keys, login budgets). Each policy keeps its own module and names on top; this one only counts.
// A bucket holds up to `burst` tokens and gains `refill` every `everyMs`; a key without a bucket has a
// full one, so buckets that have refilled are forgotten and memory follows the active keys. Time comes
// from the injected clock, so tests move it instead of sleeping.
//
// Callers see a synchronous interface on purpose: the ingest path asks once per message and must not
// wait or allocate. A store shared between instances (Redis) fits behind the same interface by leasing
// tokens to a local bucket in the background, so no caller changes when limits become shared.

export interface BucketRate {
  /** Tokens added every `everyMs`. */
  refill: number;
  everyMs: number;
  /** Most tokens a bucket holds: the burst a quiet key may spend at once. */
  burst: number;
}

export interface TokenBuckets {
  /**
   * Takes `cost` tokens from the key's bucket when it has them and returns 0; otherwise takes nothing
   * and returns the ms until it will have them. `now`: the clock's time, when the caller has just
   * read it for several buckets.
   */
  take(key: string, cost?: number, now?: number): number;
  /**
   * Takes `cost` tokens even when the bucket is short, as long as they will be there within
   * `maxWaitMs`: the bucket goes into debt, and the caller goes ahead after the returned ms (0: at
   * once), each in its turn. Returns undefined, taking nothing, when the wait would be longer.
   */
  reserve(key: string, maxWaitMs: number, cost?: number, now?: number): number | undefined;
  /** Gives back tokens taken for something that did not happen after all (never above the burst). */
  refund(key: string, cost?: number): void;
  /** Buckets held now (keys seen recently that have not refilled yet). */
  size(): number;
}

export interface TokenBucketOptions extends BucketRate {
  /** ms since the epoch; Date.now when not given. */
  clock?: () => number;
  /** Beyond this many buckets the oldest is dropped (unbounded when not given). */
  maxKeys?: number;
  /** How often full buckets are looked for and forgotten (default every minute). */
  sweepEveryMs?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export function createTokenBuckets(options: TokenBucketOptions): TokenBuckets {
  const clock = options.clock ?? Date.now;
  const { burst } = options;
  const perMs = options.refill / options.everyMs;
  const maxKeys = options.maxKeys ?? Number.POSITIVE_INFINITY;
  const sweepEveryMs = options.sweepEveryMs ?? 60_000;
  const buckets = new Map<string, Bucket>();
  let sweptAt = clock();

  function sweep(now: number) {
    if (now - sweptAt < sweepEveryMs) return;
    sweptAt = now;
    for (const [key, bucket] of buckets) {
      if (bucket.tokens + (now - bucket.at) * perMs >= burst) buckets.delete(key);
    }
  }

  /** The key's bucket brought up to `now`; made (full) for a new key. */
  function current(key: string, now: number): Bucket {
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, at: now };
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      return bucket;
    }
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    return bucket;
  }

  return {
    take(key, cost = 1, now = clock()) {
      sweep(now);
      const bucket = current(key, now);
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return 0;
      }
      return (cost - bucket.tokens) / perMs;
    },
    reserve(key, maxWaitMs, cost = 1, now = clock()) {
      sweep(now);
      const bucket = current(key, now);
      const waitMs = bucket.tokens >= cost ? 0 : (cost - bucket.tokens) / perMs;
      if (waitMs > maxWaitMs) return undefined;
      bucket.tokens -= cost;
      return waitMs;
    },
    refund(key, cost = 1) {
      const bucket = buckets.get(key);
      if (bucket) bucket.tokens = Math.min(burst, bucket.tokens + cost);
    },
    size: () => buckets.size,
  };
}
