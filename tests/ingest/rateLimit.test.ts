// The ingest's message-rate policy on its own, on a clock the test moves: a device over its rate has
// its QoS 1 messages delayed in turn and its QoS 0 ones refused with sampled reports, the global rate
// delays rather than refuses (QoS 0 past the longest delay is dropped). The whole system under a flood: tests/reliability/outage.test.ts (overload).
import { describe, expect, it } from 'vitest';
import { createIngestLimiter } from '../../src/ingest/rateLimit.ts';

function limiterAt(options: { devicePerS?: number; deviceBurst?: number; globalPerS?: number } = {}) {
  let now = 5_000_000;
  const limited: string[] = [];
  const limiter = createIngestLimiter({
    devicePerS: options.devicePerS ?? 0,
    deviceBurst: options.deviceBurst ?? 1,
    globalPerS: options.globalPerS ?? 0,
    onLimited: (scope) => limited.push(scope),
    clock: () => now,
    reportEveryMs: 10_000,
    maxGlobalDelayMs: 1_000,
  });
  return { limiter, limited, advance: (ms: number) => (now += ms) };
}

describe('the ingest rate limit', () => {
  it("refuses a device's QoS 0 past its burst, reports the first refusal and then one per period with the count", () => {
    const { limiter, limited, advance } = limiterAt({ devicePerS: 1, deviceBurst: 3 });
    for (let i = 0; i < 3; i++) expect(limiter.admit('flood', true)).toEqual({ ok: true, delayMs: 0 });
    expect(limiter.admit('flood', true)).toEqual({ ok: false, scope: 'device', report: 1 });
    for (let i = 0; i < 4; i++) expect(limiter.admit('flood', true)).toEqual({ ok: false, scope: 'device' });
    expect(limiter.admit('calm', true).ok).toBe(true);
    advance(10_000);
    // Ten seconds refilled ten tokens (three of them the burst): the flood goes on past them.
    const answers = Array.from({ length: 12 }, () => limiter.admit('flood', true));
    expect(answers.filter((a) => a.ok)).toHaveLength(3);
    expect(answers.find((a) => !a.ok)).toEqual({ ok: false, scope: 'device', report: 5 });
    expect(limited.filter((s) => s === 'device')).toHaveLength(5 + 9);
  });

  it("delays a device's QoS 1 messages past its burst, each in its turn at its rate, refusing none", () => {
    const { limiter, limited, advance } = limiterAt({ devicePerS: 10, deviceBurst: 2 });
    const delays = Array.from({ length: 5 }, () => limiter.admit('flood', false));
    expect(delays.map((a) => (a.ok ? Math.round(a.delayMs) : -1))).toEqual([0, 0, 100, 200, 300]);
    expect(limited).toHaveLength(0);
    advance(300);
    // The debt is paid: the next waits its own tenth of a second only.
    const next = limiter.admit('flood', false);
    expect(next.ok && Math.round(next.delayMs)).toBe(100);
  });

  it('answers an admitted message with the same object every time (nothing allocated)', () => {
    const { limiter } = limiterAt({ devicePerS: 100, deviceBurst: 100, globalPerS: 1_000 });
    const first = limiter.admit('a', true);
    expect(limiter.admit('a', true)).toBe(first);
    expect(limiter.admit('b', false)).toBe(first);
  });

  it('delays messages over the global rate in turn, and drops a QoS 0 message that would wait too long', () => {
    const { limiter, limited, advance } = limiterAt({ globalPerS: 10 });
    for (let i = 0; i < 10; i++) expect(limiter.admit(`d${i}`, false)).toEqual({ ok: true, delayMs: 0 });
    const delays = Array.from({ length: 10 }, (_, i) => limiter.admit(`e${i}`, false));
    expect(delays.map((a) => (a.ok ? Math.round(a.delayMs) : -1))).toEqual([
      100, 200, 300, 400, 500, 600, 700, 800, 900, 1_000,
    ]);
    expect(limiter.admit('qos0', true)).toEqual({ ok: false, scope: 'global' });
    const qos1 = limiter.admit('qos1', false);
    expect(qos1.ok && Math.round(qos1.delayMs)).toBe(1_100);
    expect(limited.filter((s) => s === 'global')).toHaveLength(12);
    advance(2_200);
    expect(limiter.admit('later', true)).toEqual({ ok: true, delayMs: 0 });
  });

  it('forgets devices that went quiet, so the memory follows the active fleet', () => {
    const { limiter, advance } = limiterAt({ devicePerS: 1, deviceBurst: 2 });
    for (let i = 0; i < 50; i++) limiter.admit(`device-${i}`, false);
    expect(limiter.tracked()).toBe(50);
    advance(61_000);
    limiter.admit('device-0', false);
    expect(limiter.tracked()).toBe(1);
  });

  it('limits nothing when both rates are 0', () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 1_000; i++) expect(limiter.admit('a', true).ok).toBe(true);
    expect(limiter.tracked()).toBe(0);
  });
});
