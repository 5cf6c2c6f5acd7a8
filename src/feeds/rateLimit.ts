// A token bucket per API key: a province job gets a steady allowance with room for a short burst,
// and one misbehaving client cannot starve the others or the database.
export interface RateLimiter {
  /** Takes a token; returns 0 when allowed, or the seconds to wait before the next one. */
  take(key: string): number;
}

export function createRateLimiter(perMinute: number, clock: () => number = Date.now): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const ratePerMs = perMinute / 60_000;
  return {
    take(key) {
      const now = clock();
      const bucket = buckets.get(key) ?? { tokens: perMinute, at: now };
      bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * ratePerMs);
      bucket.at = now;
      buckets.set(key, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.ceil((1 - bucket.tokens) / ratePerMs / 1000);
    },
  };
}
