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
  return { throttle, advance: (ms: number) => (now += ms) };
}

describe('login throttle and lockout', () => {
  it('makes one address wait after too many failures for one account, and no other address', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 3; i++) throttle.failed('admin', '10.0.0.1');
    expect(throttle.wait('admin', '10.0.0.1')).toEqual({ ms: 60_000, reason: 'address' });
    expect(throttle.wait('admin', '10.0.0.2')).toBeUndefined();
    advance(60_000);
    expect(throttle.wait('admin', '10.0.0.1')).toBeUndefined();
  });

  it('locks the account after failures spread over many addresses, for every address', () => {
    const { throttle, advance } = throttleAt();
    const locked = Array.from({ length: 5 }, (_, i) => throttle.failed('admin', `10.0.0.${i}`));
    expect(locked).toEqual([false, false, false, false, true]);
    expect(throttle.wait('admin', '192.168.1.9')).toEqual({ ms: 300_000, reason: 'account' });
    advance(299_000);
    expect(throttle.wait('admin', '192.168.1.9')?.reason).toBe('account');
    advance(1_000);
    expect(throttle.wait('admin', '192.168.1.9')).toBeUndefined();
  });

  it('forgets failures older than the window, and all of them after a success', () => {
    const { throttle, advance } = throttleAt();
    for (let i = 0; i < 4; i++) throttle.failed('operator', `10.0.1.${i}`);
    advance(61_000);
    expect(throttle.failed('operator', '10.0.1.9')).toBe(false); // a fresh window: 1 of 5
    for (let i = 0; i < 3; i++) throttle.failed('operator', `10.0.2.${i}`);
    throttle.succeeded('operator', '10.0.3.1');
    expect(throttle.failed('operator', '10.0.3.1')).toBe(false);
  });

  it('is lifted by an admin at once', () => {
    const { throttle } = throttleAt();
    for (let i = 0; i < 5; i++) throttle.failed('viewer', `10.0.0.${i}`);
    expect(throttle.wait('viewer', '10.9.9.9')?.reason).toBe('account');
    throttle.unlock('viewer');
    expect(throttle.wait('viewer', '10.9.9.9')).toBeUndefined();
  });
});
