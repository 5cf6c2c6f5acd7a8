// The limits shared through Redis on their own, against a real Redis that goes away mid-run: a key's
// points are counted across two stores (two instances), a device's cost follows the instances' counts,
// and with Redis gone both fall back to this process's limits, counted and logged once, never failing.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyLimit } from '../../src/limits/keyLimit.ts';
import { createDeviceShares } from '../../src/limits/sharedDevices.ts';
import { connectSharedLimits, type SharedLimitStore } from '../../src/limits/sharedStore.ts';
import { createLogger } from '../../src/log.ts';
import { eventually } from '../helpers/mqtt.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let redis: TestRedis;
let redisStopped = false;
const lines: string[] = [];
const unavailable: string[] = [];
const stores: SharedLimitStore[] = [];
const prefix = `ioc-test-${randomBytes(6).toString('hex')}`;

function store() {
  const created = connectSharedLimits({
    url: redis.url,
    prefix,
    log: createLogger('info', { write: (line: string) => void lines.push(line) }),
    onUnavailable: (limit) => unavailable.push(limit),
  });
  stores.push(created);
  return created;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const s of stores) await s.stop();
  if (!redisStopped) await redis?.stop();
});

describe('limits shared through Redis', () => {
  it('count a key across instances, make a device shared by two cost its share, and fall back to the process when Redis goes away', {
    timeout: 30_000,
  }, async () => {
    const [one, two] = [store(), store()];
    await eventually(
      async () => one.client.isReady && two.client.isReady,
      (ready) => ready,
      5_000,
    );
    const options = { name: 'test_key', points: 4, durationS: 60 };
    const [first, second] = [createKeyLimit(options, one), createKeyLimit(options, two)];
    for (const limit of [first, second, first, second]) expect(await limit.take('k')).toBe(0);
    expect(await first.take('k')).toBeGreaterThan(0);
    expect(await second.take('k')).toBeGreaterThan(0);

    // One device, its messages taken half by each instance: after a window each message costs 2 here.
    const windowMs = 200;
    const [sharesOne, sharesTwo] = [
      createDeviceShares({ store: one, ratePerS: 20, windowMs }),
      createDeviceShares({ store: two, ratePerS: 20, windowMs }),
    ];
    sharesOne.start();
    sharesTwo.start();
    const costs = await eventually(
      async () => {
        for (let i = 0; i < 10; i++) {
          sharesOne.noteAndCost('d');
          sharesTwo.noteAndCost('d');
        }
        await new Promise((r) => setTimeout(r, windowMs / 4));
        return [sharesOne.noteAndCost('alone'), sharesOne.noteAndCost('d'), sharesTwo.noteAndCost('d')];
      },
      ([, a, b]) => a! >= 1.8 && b! >= 1.8,
      10_000,
    );
    expect(costs[0]).toBe(1);
    expect(costs[1]).toBeGreaterThanOrEqual(1.8);
    expect(costs[2]).toBeGreaterThanOrEqual(1.8);

    await redis.stop();
    redisStopped = true;
    // The process's own limit answers at once (a fresh key has its points), and the device costs 1 again.
    expect(await first.take('fresh')).toBe(0);
    const back = await eventually(
      async () => {
        sharesOne.noteAndCost('d');
        sharesOne.noteAndCost('d');
        await new Promise((r) => setTimeout(r, windowMs / 4));
        return sharesOne.noteAndCost('d');
      },
      (cost) => cost === 1,
      5_000,
    );
    expect(back).toBe(1);
    expect(unavailable).toContain('test_key');
    expect(unavailable).toContain('device_rate');
    const logged = lines.filter((line) => line.includes('Redis unavailable'));
    // Once per limit and store, however many calls failed.
    expect(logged.length).toBeLessThanOrEqual(4);
    expect(unavailable.length).toBeGreaterThanOrEqual(logged.length);
    sharesOne.stop();
    sharesTwo.stop();
  });
});
