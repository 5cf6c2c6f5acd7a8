// The login budgets and the hashing lane on their own, on a clock the test moves. The whole server
// under a login flood: tests/security/loginFlood.test.ts.
import { describe, expect, it } from 'vitest';
import { addressKey, createLoginGate, LoginBudgetError } from '../../src/auth/loginGate.ts';

function gateAt(options: { addressPerMinute?: number; globalPerSecond?: number; hashQueue?: number } = {}) {
  let now = 0;
  const gate = createLoginGate({
    addressPerMinute: options.addressPerMinute ?? 3,
    globalPerSecond: options.globalPerSecond ?? 100,
    hashQueue: options.hashQueue ?? 2,
    now: () => now,
  });
  return { gate, advance: (ms: number) => (now += ms) };
}

function refusal(run: () => unknown): { reason: string; retryAfterSeconds: number } | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!(error instanceof LoginBudgetError)) throw error;
    return {
      reason: error.reason,
      retryAfterSeconds: (error.details as { retryAfterSeconds: number }).retryAfterSeconds,
    };
  }
}

/** A hash the test finishes when it likes. */
function pending() {
  let finish!: () => void;
  const done = new Promise<void>((ok) => (finish = ok));
  return { work: () => done, finish };
}

describe('addressKey', () => {
  it('keeps IPv4 as it is (mapped too) and folds IPv6 to its /64', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2::5')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });
});

describe('login budgets', () => {
  it('gives one address its burst, then one attempt per refill, and other addresses their own', () => {
    const { gate, advance } = gateAt({ addressPerMinute: 3 });
    for (let i = 0; i < 3; i++) gate.admit('10.0.0.1', false);
    expect(refusal(() => gate.admit('10.0.0.1', false))).toEqual({
      reason: 'address_budget',
      retryAfterSeconds: 20,
    });
    expect(refusal(() => gate.admit('10.0.0.2', false))).toBeUndefined();
    advance(20_000);
    expect(refusal(() => gate.admit('10.0.0.1', false))).toBeUndefined();
    expect(refusal(() => gate.admit('10.0.0.1', false))?.reason).toBe('address_budget');
  });

  it('refuses every address once the process budget is spent, except a trusted pair', () => {
    const { gate, advance } = gateAt({ addressPerMinute: 100, globalPerSecond: 2 });
    for (let i = 0; i < 4; i++) gate.admit(`10.0.1.${i}`, false); // two seconds' worth
    expect(refusal(() => gate.admit('10.0.2.1', false))).toEqual({
      reason: 'global_budget',
      retryAfterSeconds: 1,
    });
    expect(refusal(() => gate.admit('10.0.2.2', true))).toBeUndefined();
    advance(500);
    expect(refusal(() => gate.admit('10.0.2.1', false))).toBeUndefined();
  });

  it('does not charge an address for a refusal of the process budget', () => {
    const { gate, advance } = gateAt({ addressPerMinute: 2, globalPerSecond: 0.5 });
    gate.admit('10.0.0.1', false);
    expect(refusal(() => gate.admit('10.0.0.1', false))?.reason).toBe('global_budget');
    expect(refusal(() => gate.admit('10.0.0.1', false))?.reason).toBe('global_budget');
    advance(2_000);
    expect(refusal(() => gate.admit('10.0.0.1', false))).toBeUndefined();
  });
});

describe('the hashing lane', () => {
  it('hashes one at a time, queues a bounded few, refuses the rest at once, trusted work first', async () => {
    const { gate } = gateAt({ hashQueue: 2 });
    const order: string[] = [];
    const first = pending();
    const running = gate.hash(async () => {
      order.push('first');
      await first.work();
    }, false);
    const queued = ['a', 'b'].map((name) => gate.hash(async () => void order.push(name), false));
    await expect(gate.hash(async () => order.push('c'), false)).rejects.toMatchObject({
      reason: 'hash_queue_full',
      statusCode: 429,
    });
    // An admin's hash or a trusted pair's login is never refused and goes before the queue.
    const trusted = gate.hash(async () => void order.push('trusted'), true);
    expect(gate.lane()).toEqual({ running: 1, waiting: 3 });
    first.finish();
    await Promise.all([running, ...queued, trusted]);
    expect(order).toEqual(['first', 'trusted', 'a', 'b']);
    expect(gate.lane()).toEqual({ running: 0, waiting: 0 });
  });

  it('frees the lane when a hash fails', async () => {
    const { gate } = gateAt();
    await expect(gate.hash(() => Promise.reject(new Error('boom')), false)).rejects.toThrow('boom');
    expect(await gate.hash(async () => 'next', false)).toBe('next');
  });
});
