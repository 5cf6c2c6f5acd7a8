// The in-memory part of login throttling: per (user, address), who a lock stops (the addresses that
// failed), the stand-in lockout of names without an account, trusted pairs. An existing account's
// lockout is in the database (tests/auth/admin.test.ts, tests/security/loginFlood.test.ts).
import { describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../../src/auth/throttle.ts';

function throttleAt(start = 0) {
  let now = start;
  const throttle = createLoginThrottle({
    maxFailures: 3,
    windowMs: 60_000,
    lockoutFailures: 5,
    lockoutMs: 300_000,
    now: () => now,
  });
  return { throttle, advance: (ms: number) => (now += ms), now: () => now };
}

const known = { unlockedAt: undefined };

describe('login throttle', () => {
  it('makes one address wait after too many failures for one account, and no other address', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 3; i++) throttle.failed('admin', '10.0.0.1', true);
    expect(throttle.wait('admin', '10.0.0.1', known)).toEqual({ ms: 60_000, reason: 'address' });
    expect(throttle.wait('admin', '10.0.0.2', known)).toBeUndefined();
    advance(60_000);
    expect(throttle.wait('admin', '10.0.0.1', known)).toBeUndefined();
  });

  it('locks a name without an account after failures spread over many addresses, like an account', () => {
    const { throttle, advance } = throttleAt();
    const locked = Array.from({ length: 5 }, (_, i) => throttle.failed('nobody', `10.0.0.${i}`, false));
    expect(locked).toEqual([false, false, false, false, true]);
    expect(throttle.wait('nobody', '10.0.0.1', undefined)).toEqual({ ms: 300_000, reason: 'account' });
    // Like an account's lock: an address that never failed may try.
    expect(throttle.wait('nobody', '192.168.1.9', undefined)).toBeUndefined();
    advance(299_000);
    expect(throttle.wait('nobody', '10.0.0.1', undefined)?.reason).toBe('account');
    advance(1_000);
    expect(throttle.wait('nobody', '10.0.0.1', undefined)).toBeUndefined();
  });

  it('stops only the addresses that failed while an account is locked, one more guess from a new one', () => {
    const { throttle, now } = throttleAt(1_000);
    throttle.failed('admin', '10.0.0.1', true);
    throttle.failed('admin', '10.0.0.2', true);
    const locked = { unlockedAt: undefined, lockedUntil: now() + 300_000 };
    expect(throttle.wait('admin', '10.0.0.1', locked)).toEqual({ ms: 300_000, reason: 'account' });
    expect(throttle.wait('admin', '10.0.0.2', locked)?.reason).toBe('account');
    expect(throttle.wait('admin', '10.0.0.3', locked)).toBeUndefined();
    throttle.failed('admin', '10.0.0.3', true);
    expect(throttle.wait('admin', '10.0.0.3', locked)?.reason).toBe('account');
    // An IPv6 sender gains no clean address by moving inside its /64.
    throttle.failed('admin', '2001:db8:1:2::5', true);
    expect(throttle.wait('admin', '2001:db8:1:2:ffff::9', locked)?.reason).toBe('account');
    expect(throttle.wait('admin', '2001:db8:1:3::5', locked)).toBeUndefined();
  });

  it('remembers a failed address for as long as the lock it helped set', () => {
    const { throttle, advance, now } = throttleAt();
    throttle.failed('admin', '10.0.0.1', true);
    advance(200_000); // past the 60 s window, inside the 300 s lock
    const locked = { unlockedAt: undefined, lockedUntil: now() + 100_000 };
    expect(throttle.wait('admin', '10.0.0.1', locked)?.reason).toBe('account');
    advance(100_000);
    expect(
      throttle.wait('admin', '10.0.0.1', { unlockedAt: undefined, lockedUntil: now() + 1 }),
    ).toBeUndefined();
  });

  it('trusts a pair that logged in, for its address only, until the trust period ends', () => {
    let now = 0;
    const throttle = createLoginThrottle({
      maxFailures: 3,
      windowMs: 60_000,
      lockoutFailures: 5,
      lockoutMs: 300_000,
      trustMs: 86_400_000,
      now: () => now,
    });
    expect(throttle.trusted('admin', '10.0.0.1')).toBe(false);
    throttle.succeeded('admin', '10.0.0.1');
    expect(throttle.trusted('admin', '10.0.0.1')).toBe(true);
    expect(throttle.trusted('admin', '10.0.0.2')).toBe(false);
    expect(throttle.trusted('viewer', '10.0.0.1')).toBe(false);
    now += 86_400_000;
    expect(throttle.trusted('admin', '10.0.0.1')).toBe(false);
  });

  it('leaves an existing account lockout to the database', () => {
    const { throttle } = throttleAt();
    const locked = Array.from({ length: 5 }, (_, i) => throttle.failed('viewer', `10.0.0.${i}`, true));
    expect(locked).toEqual([false, false, false, false, false]);
    expect(throttle.wait('viewer', '192.168.1.9', known)).toBeUndefined();
  });

  it('forgets failures older than the window, and the pair after a success', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 4; i++) throttle.failed('ghost', `10.0.1.${i}`, false);
    advance(61_000);
    expect(throttle.failed('ghost', '10.0.1.9', false)).toBe(false); // a fresh window: 1 of 5
    for (let i = 0; i < 3; i++) throttle.failed('operator', '10.0.3.1', true);
    throttle.succeeded('operator', '10.0.3.1');
    expect(throttle.wait('operator', '10.0.3.1', known)).toBeUndefined();
  });

  it("forgives a pair's failures once an admin lifted the account's lockout after them", () => {
    const { throttle, advance, now } = throttleAt(1_000);
    for (let i = 0; i < 3; i++) throttle.failed('viewer', '10.9.9.9', true);
    expect(throttle.wait('viewer', '10.9.9.9', { unlockedAt: now() - 1 })?.reason).toBe('address');
    advance(5_000);
    expect(throttle.wait('viewer', '10.9.9.9', { unlockedAt: now() })).toBeUndefined();
  });
});
