// The token buckets under every rate limit, on a clock the test moves.
import { describe, expect, it } from 'vitest';
import { createTokenBuckets, type TokenBucketOptions } from '../../src/limits/tokenBucket.ts';

function bucketsAt(options: Omit<TokenBucketOptions, 'clock'>) {
  let now = 1_000_000;
  const buckets = createTokenBuckets({ ...options, clock: () => now });
  return { buckets, advance: (ms: number) => (now += ms) };
}

describe('token buckets', () => {
  it('give a new key its burst, then one token per refill, and say how long until the next', () => {
    const { buckets, advance } = bucketsAt({ refill: 3, everyMs: 60_000, burst: 3 });
    expect([1, 2, 3].map(() => buckets.take('a'))).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBe(20_000);
    expect(buckets.take('b')).toBe(0);
    advance(10_000);
    expect(buckets.take('a')).toBe(10_000);
    advance(10_000);
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBe(20_000);
  });

  it('never hold more than the burst, however long a key was quiet', () => {
    const { buckets, advance } = bucketsAt({ refill: 10, everyMs: 1_000, burst: 5 });
    buckets.take('a');
    advance(3_600_000);
    const taken = Array.from({ length: 8 }, () => buckets.take('a')).filter((wait) => wait === 0);
    expect(taken).toHaveLength(5);
  });

  it('take a cost of several tokens at once, or none of them', () => {
    const { buckets } = bucketsAt({ refill: 1, everyMs: 1_000, burst: 4 });
    expect(buckets.take('a', 3)).toBe(0);
    expect(buckets.take('a', 3)).toBe(2_000);
    expect(buckets.take('a', 1)).toBe(0);
  });

  it('reserve into debt: each caller waits its turn, and one that would wait too long takes nothing', () => {
    const { buckets, advance } = bucketsAt({ refill: 10, everyMs: 1_000, burst: 1 });
    expect(buckets.reserve('g', 250)).toBe(0);
    expect(buckets.reserve('g', 250)).toBe(100);
    expect(buckets.reserve('g', 250)).toBe(200);
    expect(buckets.reserve('g', 250)).toBeUndefined();
    expect(buckets.reserve('g', Number.POSITIVE_INFINITY)).toBeCloseTo(300);
    advance(400);
    expect(buckets.reserve('g', 0)).toBe(0);
  });

  it('give back a refunded token, never above the burst', () => {
    const { buckets } = bucketsAt({ refill: 1, everyMs: 60_000, burst: 2 });
    buckets.take('a');
    buckets.take('a');
    buckets.refund('a');
    expect(buckets.take('a')).toBe(0);
    buckets.refund('a');
    buckets.refund('a');
    buckets.refund('a');
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 60_000]);
    buckets.refund('unknown');
    expect(buckets.size()).toBe(1);
  });

  it('forget buckets that have refilled, so memory follows the keys in use', () => {
    const { buckets, advance } = bucketsAt({ refill: 1, everyMs: 1_000, burst: 10, sweepEveryMs: 60_000 });
    for (let i = 0; i < 100; i++) buckets.take(`device-${i}`);
    advance(5_000);
    for (let i = 0; i < 10; i++) buckets.take('busy');
    expect(buckets.size()).toBe(101);
    advance(60_000);
    buckets.take('busy');
    // Everyone else refilled long ago; the busy key's bucket still has tokens to win back.
    expect(buckets.size()).toBe(1);
  });

  it('drop the oldest bucket beyond maxKeys', () => {
    const { buckets } = bucketsAt({ refill: 1, everyMs: 60_000, burst: 1, maxKeys: 3 });
    for (const key of ['a', 'b', 'c', 'd']) buckets.take(key);
    expect(buckets.size()).toBe(3);
    expect(buckets.take('a')).toBe(0); // forgotten: a full bucket again
    expect(buckets.take('d')).toBe(60_000);
  });
});
