// Two instances on one PostgreSQL, one Mosquitto and one Redis (both started for this file): consoles
// on either see everything, the alert rules are evaluated once (by the leader) even when a device's
// readings land on both instances, and leadership moves when the leader goes away.
import { randomBytes } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEventWire } from '../../src/alerts/wire.ts';
import type { InboundMessage } from '../../src/ingest/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { liveConsole, nextEvent } from '../helpers/live.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { eventually } from '../helpers/mqtt.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

let mosquitto: TestMosquitto;
let redis: TestRedis;
let a: TestApp;
let b: TestApp;
let admin: Record<string, string>;
const sockets: Socket[] = [];
const shared = {
  JWT_SECRET: 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ',
  // A prefix other than the default: the instances must use the one they are given.
  REDIS_PREFIX: `ioc-test-${randomBytes(6).toString('hex')}`,
  LIVE_COALESCE_MS: '50',
  INGEST_LATE_AFTER_S: '86400',
};
const place = { city: 'hoi-an', ward: 'phuong-hoi-an', lat: 15.877, lon: 108.328 } as const;
const fire = { ...place, id: 'ha-ma-fire-7701', kind: 'fire', name: 'Cảm biến cháy – Hội quán' } as const;
const noise = {
  ...place,
  id: 'ha-ma-noise-7701',
  kind: 'noise',
  name: 'Tiếng ồn – Nguyễn Thái Học',
} as const;
const topicOf = (d: { city: string; kind: string; id: string }, channel = 'telemetry') =>
  `ioc/${d.city}/${d.kind}/${d.id}/${channel}`;
const message = (d: typeof fire | typeof noise, body: unknown): InboundMessage => ({
  topic: topicOf(d),
  payload: Buffer.from(JSON.stringify(body)),
  receivedAt: new Date(),
  senderId: d.id,
});
let survivor: TestApp | undefined;
const alertsOf = async (deviceId: string) =>
  (
    await (survivor ?? a).pool.query(
      `SELECT a.id::int, r.name, a.state, a.count FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
       WHERE a.device_id = $1 ORDER BY a.id`,
      [deviceId],
    )
  ).rows;

const consoleOn = (app: TestApp, token: string) => liveConsole(app.baseUrl, token, sockets);

beforeAll(async () => {
  mosquitto = await startMosquitto();
  redis = await startRedis();
  const both = { ...shared, REDIS_URL: redis.url };
  a = await startTestApp({ ...mosquitto.env('cluster-a'), ...both });
  b = await startTestApp({ ...mosquitto.env('cluster-b'), ...both }, { databaseUrl: a.databaseUrl });
  admin = await a.login();
  for (const d of [fire, noise])
    expect((await a.request('POST', '/api/v1/devices', admin, d)).status).toBe(201);
  await eventually(async () => b.registry.get(fire.id) && b.registry.get(noise.id), Boolean);
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await b?.close();
  await a?.close();
  await mosquitto?.stop();
  await redis?.stop();
});

describe('several instances (Redis)', () => {
  it('elects exactly one alert leader', async () => {
    await eventually(
      async () => [a.alerts.isEvaluating(), b.alerts.isEvaluating()],
      (both) => both.filter(Boolean).length === 1,
    );
    expect([a.alerts.isEvaluating(), b.alerts.isEvaluating()].filter(Boolean)).toHaveLength(1);
  });

  it("shows a console on instance B an alert raised from instance A's ingest, and A's readings", async () => {
    const token = (await b.login()).authorization!.slice('Bearer '.length);
    const socket = consoleOn(b, token);
    await nextEvent(socket, 'snapshot');
    const alert = nextEvent<any>(
      socket,
      'alert',
      (e) => e.alert.deviceId === fire.id && e.action === 'opened',
    );
    const telemetry = nextEvent<any[]>(socket, 'telemetry', (batch) =>
      batch.some((r) => r.deviceId === fire.id),
    );
    expect(
      await a.ingest.accept(message(fire, { ts: Date.now(), metrics: { alarm: 1, smoke_pct: 9 } })),
    ).toBe(true);
    const opened = await alert;
    expect(opened.alert).toMatchObject({ deviceId: fire.id, severity: 'critical', state: 'open' });
    // Relayed between the instances in the envelope a console on either gets, dates and message intact.
    expect(AlertEventWire.parse(opened)).toEqual(opened);
    expect(opened).toMatchObject({ version: 1, event: 'alert.opened' });
    const stored = await a.request('GET', `/api/v1/alerts/${opened.alert.id}`, admin);
    expect(opened.alert).toMatchObject({
      message: stored.body.message,
      openedAt: stored.body.openedAt,
      ruleName: stored.body.ruleName,
    });
    expect((await telemetry).find((r) => r.deviceId === fire.id).metrics).toMatchObject({ alarm: 1 });
    // A console connecting to B later gets A's reading in its snapshot.
    const late = consoleOn(b, token);
    const snapshot = await nextEvent<any>(late, 'snapshot');
    expect(snapshot.devices.find((d: any) => d.id === fire.id).metrics).toMatchObject({ alarm: 1 });
    expect(snapshot.alerts.some((x: any) => x.deviceId === fire.id)).toBe(true);
  });

  it('fires a for_s rule exactly once when readings alternate between the instances', async () => {
    const rule = await a.request('POST', '/api/v1/rules', admin, {
      name: 'Loud street (cluster)',
      type: 'threshold',
      metric: 'laeq_db',
      comparison: '>',
      threshold: 70,
      clearValue: 65,
      forS: 60,
      severity: 'warning',
      deviceId: noise.id,
      messageVi: 'Ồn {value} dBA tại {name}',
      messageEn: 'Loud {value} dBA at {name}',
    });
    expect(rule.status).toBe(201);
    // The rule reaches the leader through NOTIFY, whichever instance it was made on.
    await new Promise((ok) => setTimeout(ok, 300));
    const t0 = Date.now() - 600_000;
    // The device's whole stream never holds for 60 s: every loud reading on A is followed by a quiet
    // one on B. An instance judging only what it ingested would see A's 75 dBA for two minutes.
    for (let i = 0; i < 14; i++) {
      const instance = i % 2 === 0 ? a : b;
      await instance.ingest.accept(
        message(noise, { ts: t0 - 300_000 + i * 10_000, metrics: { laeq_db: i % 2 === 0 ? 75 : 60 } }),
      );
    }
    await new Promise((ok) => setTimeout(ok, 500));
    expect((await alertsOf(noise.id)).filter((x) => x.name === 'Loud street (cluster)')).toEqual([]);
    // Now loud for two minutes, alternating between the instances: one alert.
    for (let i = 0; i <= 12; i++) {
      const instance = i % 2 === 0 ? a : b;
      await instance.ingest.accept(
        message(noise, { ts: t0 + i * 10_000, metrics: { laeq_db: 75 + (i % 3) } }),
      );
    }
    const alerts = await eventually(
      () => alertsOf(noise.id),
      (list) => list.some((x) => x.name === 'Loud street (cluster)'),
    );
    // Let any duplicate decision land before counting.
    await new Promise((ok) => setTimeout(ok, 500));
    const mine = (await alertsOf(noise.id)).filter((x) => x.name === 'Loud street (cluster)');
    expect(alerts.length).toBeGreaterThan(0);
    expect(mine).toHaveLength(1);
    expect(mine[0].state).toBe('open');
    // Below the clear value on the other instance: resolved once, by the leader.
    await b.ingest.accept(message(noise, { ts: t0 + 130_000, metrics: { laeq_db: 60 } }));
    await eventually(
      async () => (await alertsOf(noise.id)).filter((x) => x.name === 'Loud street (cluster)'),
      (list) => list[0]?.state === 'resolved',
    );
  });

  it('hands leadership to the other instance when the leader goes away', async () => {
    const leader = a.alerts.isEvaluating() ? a : b;
    const other = leader === a ? b : a;
    survivor = other;
    await leader.stop(); // the database stays: it belongs to both (afterAll drops it)
    const took = await eventually(async () => other.alerts.isEvaluating(), Boolean, 10_000);
    expect(took).toBe(true);
    // The survivor evaluates readings now.
    await other.ingest.accept(message(fire, { ts: Date.now(), metrics: { flame: 1, alarm: 0 } }));
    const flames = await eventually(
      () => alertsOf(fire.id),
      (list) => list.length >= 2,
      10_000,
    );
    expect(flames.length).toBeGreaterThanOrEqual(2);
  });
});
