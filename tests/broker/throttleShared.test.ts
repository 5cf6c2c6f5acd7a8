// Limits that hold across instances: two IOC instances on one database and one Redis (REDIS_URL).
// A device connected to both at once is acknowledged at its rate across the two, not twice; a login
// address and a feed API key spend one budget whichever instance they reach. Redis going away:
// throttleRedisDown.test.ts. Real Redis, real MQTT, real PostgreSQL.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually } from '../helpers/mqtt.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { ackRate, floodQos1, floodStation, floodTopic, storedPm25 } from '../limits/flooder.ts';

const rate = 20;
let redis: TestRedis;
let a: TestApp;
let b: TestApp;
let admin: Record<string, string>;

const until = (at: number) =>
  eventually(
    async () => Date.now(),
    (now) => now >= at,
    at - Date.now() + 5_000,
  );

beforeAll(async () => {
  redis = await startRedis();
  const shared = {
    REDIS_URL: redis.url,
    REDIS_PREFIX: `ioc-test-${randomBytes(6).toString('hex')}`,
    INGEST_DEVICE_RATE_PER_S: String(rate),
    INGEST_DEVICE_BURST: String(rate),
    LOGIN_ADDRESS_RATE_PER_MIN: '7',
    FEEDS_RATE_PER_MIN: '4',
  };
  a = await startTestApp({ ...shared, INSTANCE_ID: 'shared-a' });
  b = await startTestApp({ ...shared, INSTANCE_ID: 'shared-b' }, { databaseUrl: a.databaseUrl });
  // Before the login test spends this address's budget.
  admin = await a.login();
}, 120_000);
afterAll(async () => {
  await b?.close();
  await a?.close();
  await redis?.stop();
});

describe('limits shared between two instances', () => {
  it('acknowledge a device connected to both at its rate across the two (±10 %), every acknowledged message stored', {
    timeout: 90_000,
  }, async () => {
    const id = 'tn-shared-env-1';
    const { secret } = await a.registry.create(floodStation(id));
    await eventually(
      async () => b.registry.get(id),
      (device) => device !== undefined,
      10_000,
    );
    const onA = await connectDevice(a.mqttUrl, id, secret);
    const onB = await connectDevice(b.mqttUrl, id, secret);
    const started = Date.now();
    // Two clones of the device, their timestamps apart so each reading is its own row.
    const floodA = floodQos1(onA, floodTopic(id), { window: 10, base: started - 7_200_000 });
    const floodB = floodQos1(onB, floodTopic(id), { window: 10, base: started - 3_600_000 });
    // The shares settle within two windows of a second; measured over the ten seconds after.
    await until(started + 14_000);
    const acks = [...floodA.acks(), ...floodB.acks()];
    const measured = ackRate(acks, started + 4_000, started + 14_000);
    await Promise.all([floodA.stop(), floodB.stop()]);
    const acked = floodA.acks().length + floodB.acks().length;
    const stored = await storedPm25(a.pool, id);
    console.info(
      `[throttle] one device on two instances: acknowledged ${floodA.acks().length} + ${floodB.acks().length}, stored ${stored}, acknowledged rate across both ${measured.toFixed(1)}/s (limit ${rate}/s)`,
    );
    expect(measured).toBeGreaterThanOrEqual(rate * 0.9);
    expect(measured).toBeLessThanOrEqual(rate * 1.1);
    expect(stored).toBe(acked);
    onA.end(true);
    onB.end(true);
  });

  it('spend one login budget per address whichever instance a login reaches', async () => {
    const attempt = (app: TestApp) =>
      app.request(
        'POST',
        '/api/v1/auth/login',
        {},
        { username: 'nobody-shared', password: 'wrong-password-1' },
      );
    // Seven a minute from one address: the admin's login above and three on each instance spend them all.
    for (const app of [a, b, a, b, a, b]) expect((await attempt(app)).status).toBe(401);
    const refused = await attempt(a);
    expect(refused.status).toBe(429);
    expect((await attempt(b)).status).toBe(429);
  });

  it('spend one feed-key allowance whichever instance a request reaches', async () => {
    const created = await a.request('POST', '/api/v1/feeds/keys', admin, { name: 'shared-limit' });
    const key = { 'x-api-key': created.body.key as string };
    const path = '/api/v1/feeds/alerts?limit=1';
    for (const app of [a, b, a, b]) expect((await app.request('GET', path, key)).status).toBe(200);
    const refused = await b.request('GET', path, key);
    expect(refused.status).toBe(429);
    expect((await a.request('GET', path, key)).status).toBe(429);
  });
});
