// Redis going away under two instances (REDIS_URL) and coming back empty on its port: no promise of
// the cluster area is left rejected with nobody to hear it, every reading a device had acknowledged is
// stored, a console keeps getting its own instance's readings meanwhile and both instances' once Redis
// answers again, and each instance stops within a bound, Redis just restarted or not. Real Redis,
// MQTT (each instance's embedded broker), PostgreSQL.
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/ingest/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { liveConsole, nextEvent } from '../helpers/live.ts';
import { connectDevice, eventually } from '../helpers/mqtt.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

// node-redis gives up on a queued command after 5 s: an outage longer than that shows any command
// whose failure nobody handles.
const outageMs = 6_000;
const stopBoundMs = 5_000;

let redis: TestRedis;
let a: TestApp;
let b: TestApp;
const sockets: Socket[] = [];
const devices: MqttClient[] = [];
const publishers: Array<{ stop(): Promise<void> }> = [];
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const logOfA: Array<{ level: number; area?: string; msg: string }> = [];

const station = (id: string) => ({
  id,
  kind: 'environment' as const,
  city: 'tay-ninh' as const,
  ward: 'phuong-tan-ninh',
  lat: 11.3,
  lon: 106.1,
  name: `Trạm quan trắc ${id}`,
  pole: null,
  zone: null,
});
const topicOf = (id: string) => `ioc/tay-ninh/environment/${id}/telemetry`;
/** Every sample of a metric, one per label set. */
const metricValues = async (app: TestApp, name: string) => {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'gm'))].map((m) =>
    Number(m[1]),
  );
};
const allEqual = (value: number) => (values: number[]) =>
  values.length > 0 && values.every((v) => v === value);
const fire = (id: string) => ({
  id,
  kind: 'fire' as const,
  city: 'tay-ninh' as const,
  ward: 'phuong-tan-ninh',
  lat: 11.31,
  lon: 106.11,
  name: `Cảm biến cháy ${id}`,
});
const alarm = (id: string): InboundMessage => ({
  topic: `ioc/tay-ninh/fire/${id}/telemetry`,
  payload: Buffer.from(JSON.stringify({ ts: Date.now(), metrics: { alarm: 1, smoke_pct: 9 } })),
  receivedAt: new Date(),
  senderId: id,
});
const openAlerts = async (deviceId: string) =>
  (
    await a.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM alerts WHERE device_id = $1 AND state = 'open'",
      [deviceId],
    )
  ).rows[0]!.n;

/**
 * A station publishing QoS 1 every 100 ms, its reading's pm25 being its sequence number, so a console
 * shows which readings it got and the database which were stored (within pm25's range of 1,000 for
 * longer than the test may run).
 */
function publisher(client: MqttClient, id: string) {
  devices.push(client);
  let next = 0;
  let acknowledged = 0;
  let failed = 0;
  const base = Date.now() - 3_600_000;
  const timer = setInterval(() => {
    const seq = next++;
    client.publish(
      topicOf(id),
      JSON.stringify({ ts: base + seq * 100, metrics: { pm25: seq } }),
      { qos: 1 },
      (error) => {
        if (error) failed++;
        else acknowledged++;
      },
    );
  }, 100);
  const handle = {
    id,
    next: () => next,
    acknowledged: () => acknowledged,
    failed: () => failed,
    /** Stops publishing; resolves once every reading sent is acknowledged or failed. */
    async stop() {
      clearInterval(timer);
      await eventually(
        async () => acknowledged + failed,
        (n) => n === next,
        10_000,
      );
    },
  };
  publishers.push(handle);
  return handle;
}

/** The highest sequence number of each device a console has seen. */
function watch(socket: Socket) {
  const seen = new Map<string, number>();
  socket.on('telemetry', (batch: Array<{ deviceId: string; metrics: { pm25?: number } }>) => {
    for (const r of batch)
      if (r.metrics.pm25 !== undefined)
        seen.set(r.deviceId, Math.max(seen.get(r.deviceId) ?? -1, r.metrics.pm25));
  });
  return (deviceId: string) => seen.get(deviceId) ?? -1;
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedis();
  const shared = {
    REDIS_URL: redis.url,
    REDIS_PREFIX: `ioc-test-${randomBytes(6).toString('hex')}`,
    JWT_SECRET: 'h3Vn8pQx2Lr6Tz9WcYb4KmJd7FsGa5Ue1RoPiXnA',
    LIVE_COALESCE_MS: '50',
    INGEST_LATE_AFTER_S: '86400',
  };
  a = await startTestApp(
    { ...shared, INSTANCE_ID: 'outage-a', LOG_LEVEL: 'info' },
    { logDestination: { write: (line) => void logOfA.push(JSON.parse(line)) } },
  );
  b = await startTestApp({ ...shared, INSTANCE_ID: 'outage-b' }, { databaseUrl: a.databaseUrl });
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  // A test that failed half-way leaves its stations publishing: stopped before their connections.
  await Promise.all(publishers.map((p) => p.stop()));
  for (const d of devices) d.end(true);
  await b?.close();
  await a?.close();
  await redis?.stop();
  process.off('unhandledRejection', onUnhandled);
});

describe('an instance through a Redis outage', () => {
  it('keeps ingesting and serving its consoles, fans out again once Redis is back, and stops in time', {
    timeout: 90_000,
  }, async () => {
    const onA = publisher(
      await connectDevice(
        a.mqttUrl,
        'tn-outage-env-a',
        (await a.registry.create(station('tn-outage-env-a'))).secret,
      ),
      'tn-outage-env-a',
    );
    await eventually(async () => b.registry.get('tn-outage-env-a'), Boolean);
    const onB = publisher(
      await connectDevice(
        b.mqttUrl,
        'tn-outage-env-b',
        (await b.registry.create(station('tn-outage-env-b'))).secret,
      ),
      'tn-outage-env-b',
    );
    await eventually(async () => a.registry.get('tn-outage-env-b'), Boolean);
    const admin = await a.login();
    for (const id of ['tn-outage-fire-leader', 'tn-outage-fire-other'])
      expect((await a.request('POST', '/api/v1/devices', admin, fire(id))).status).toBe(201);
    await eventually(async () => b.registry.get('tn-outage-fire-other'), Boolean);
    const leader = await eventually(
      async () => [a, b].filter((app) => app.alerts.isEvaluating()),
      (leaders) => leaders.length === 1,
      15_000,
    );
    expect(leader).toHaveLength(1);
    const [onLeader, onOther] = leader[0] === a ? [a, b] : [b, a];
    const token = admin.authorization!.slice('Bearer '.length);
    const consoleA = liveConsole(a.baseUrl, token, sockets);
    const consoleB = liveConsole(b.baseUrl, token, sockets);
    const seenOnA = watch(consoleA);
    const seenOnB = watch(consoleB);
    await Promise.all([nextEvent(consoleA, 'snapshot'), nextEvent(consoleB, 'snapshot')]);

    // Before: each console sees both stations.
    const before = await eventually(
      async () => [seenOnA(onB.id), seenOnB(onA.id)],
      ([x, y]) => x! >= 0 && y! >= 0,
      15_000,
    );
    expect(before.every((n) => n >= 0)).toBe(true);

    // Redis goes away for longer than a queued command waits.
    await redis.outage();
    const down = Date.now();
    const fromA = onA.next();
    const fromB = onB.next();
    expect(
      await eventually(() => metricValues(a, 'ioc_cluster_redis_connected'), allEqual(0), 10_000),
    ).toSatisfy(allEqual(0));
    // A fire alarm on the alert leader is evaluated there at once; one on the other instance waits
    // for Redis to come back.
    expect(await onLeader!.ingest.accept(alarm('tn-outage-fire-leader'))).toBe(true);
    expect(await onOther!.ingest.accept(alarm('tn-outage-fire-other'))).toBe(true);
    expect(
      await eventually(
        () => openAlerts('tn-outage-fire-leader'),
        (n) => n === 1,
        10_000,
      ),
    ).toBe(1);
    // Each console keeps getting its own instance's readings meanwhile.
    const ownDuring = await eventually(
      async () => [seenOnA(onA.id), seenOnB(onB.id)],
      ([x, y]) => x! >= fromA + 10 && y! >= fromB + 10,
      15_000,
    );
    expect(ownDuring[0]).toBeGreaterThanOrEqual(fromA + 10);
    expect(ownDuring[1]).toBeGreaterThanOrEqual(fromB + 10);
    // Still ready: the instance ingests and stores without Redis.
    expect((await fetch(`${a.baseUrl}/readyz`)).status).toBe(200);
    await eventually(
      async () => Date.now() - down,
      (ms) => ms >= outageMs,
      outageMs + 1_000,
    );

    // Back, empty: the instances reconnect, subscribe again and fan out each other's readings.
    await redis.restart();
    const afterA = onA.next();
    const afterB = onB.next();
    const crossAfter = await eventually(
      async () => [seenOnA(onB.id), seenOnB(onA.id)],
      ([x, y]) => x! >= afterB && y! >= afterA,
      20_000,
    );
    expect(crossAfter[0]).toBeGreaterThanOrEqual(afterB);
    expect(crossAfter[1]).toBeGreaterThanOrEqual(afterA);
    for (const app of [a, b])
      expect(
        await eventually(() => metricValues(app, 'ioc_cluster_redis_connected'), allEqual(1), 10_000),
      ).toSatisfy(allEqual(1));
    expect(
      await eventually(
        () => openAlerts('tn-outage-fire-other'),
        (n) => n === 1,
        10_000,
      ),
    ).toBe(1);

    // The outage is told once when it starts and once when it ends, not for every failed call.
    const told = logOfA.filter((line) => line.area === 'cluster' && /^(a )?Redis\b/.test(line.msg));
    expect(told.map((line) => [line.level, line.msg.split(':')[0]])).toEqual([
      [40, 'Redis unreachable'],
      [30, 'Redis back'],
    ]);

    // Every reading acknowledged through it all is stored.
    await Promise.all([onA.stop(), onB.stop()]);
    for (const s of [onA, onB]) {
      expect(s.failed()).toBe(0);
      const stored = await eventually(
        async () =>
          (
            await a.pool.query<{ n: number }>(
              "SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1 AND metric = 'pm25'",
              [s.id],
            )
          ).rows[0]!.n,
        (n) => n === s.acknowledged(),
        10_000,
      );
      expect(stored).toBe(s.acknowledged());
    }

    // Each instance stops within the bound, Redis having just come back; stopping B drops B's
    // consoles, not A's.
    const goneFromB = nextEvent(consoleB, 'disconnect');
    let started = Date.now();
    await b.stop();
    expect(Date.now() - started).toBeLessThan(stopBoundMs);
    await goneFromB;
    const last = nextEvent<Array<{ deviceId: string; metrics: { pm25?: number } }>>(
      consoleA,
      'telemetry',
      (batch) => batch.some((r) => r.metrics.pm25 === 999.5),
    );
    const accepted = await a.ingest.accept({
      topic: topicOf(onA.id),
      payload: Buffer.from(JSON.stringify({ ts: Date.now(), metrics: { pm25: 999.5 } })),
      receivedAt: new Date(),
      senderId: onA.id,
    });
    expect(accepted).toBe(true);
    await last;
    started = Date.now();
    await a.stop();
    expect(Date.now() - started).toBeLessThan(stopBoundMs);
    expect(unhandled).toEqual([]);
  });

  it('stops within the bound while Redis is down', { timeout: 60_000 }, async () => {
    // Redis down from the start of the stop: nothing to reconnect to.
    const c = await startTestApp(
      {
        REDIS_URL: redis.url,
        REDIS_PREFIX: `ioc-test-${randomBytes(6).toString('hex')}`,
        INSTANCE_ID: 'outage-c',
      },
      {},
    );
    try {
      await redis.outage();
      await eventually(() => metricValues(c, 'ioc_cluster_redis_connected'), allEqual(0), 10_000);
      const started = Date.now();
      await c.stop();
      expect(Date.now() - started).toBeLessThan(stopBoundMs);
    } finally {
      await c.close();
    }
    expect(unhandled).toEqual([]);
  });
});
