// The per-key allowance of the feeds on a clock the test moves; over HTTP with Retry-After:
// tests/feeds/api.test.ts (API keys).
import { describe, expect, it } from 'vitest';
import { createKeyAllowance } from '../../src/feeds/rateLimit.ts';

describe('the allowance of an API key', () => {
  it('is a burst of a minute’s requests, then one per refill, with the seconds to wait; other keys are apart', () => {
    let now = 0;
    const allowance = createKeyAllowance(120, () => now);
    for (let i = 0; i < 120; i++) expect(allowance.take(1)).toBe(0);
    expect(allowance.take(1)).toBe(1);
    expect(allowance.take(2)).toBe(0);
    now += 500;
    expect(allowance.take(1)).toBe(0);
    expect(allowance.take(1)).toBe(1);
    now += 60_000;
    for (let i = 0; i < 120; i++) expect(allowance.take(1)).toBe(0);
    expect(allowance.take(1)).toBe(1);
  });

  it('says a slow allowance’s wait in whole seconds, rounded up', () => {
    let now = 0;
    const allowance = createKeyAllowance(2, () => now);
    allowance.take(7);
    allowance.take(7);
    expect(allowance.take(7)).toBe(30);
    now += 29_001;
    expect(allowance.take(7)).toBe(1);
  });
});
