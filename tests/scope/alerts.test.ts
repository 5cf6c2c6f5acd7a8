// Alerts and the live layer within a scope, with real MQTT devices raising the alerts and real
// socket.io consoles: an operator scoped to Hội An cannot see, list, acknowledge, resolve, assign,
// note or bulk-acknowledge a Tây Ninh alert (404 or filtered), nor read its notification deliveries;
// their console's snapshot and events hold Hội An only whatever they subscribe to, and a new scope
// ends their live session.
import type { MqttClient } from 'mqtt';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { liveConsole, nextEvent } from '../helpers/live.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let hoiAn: Record<string, string>;
let hoiAnToken: string;
let adminToken: string;
const clients = new Map<string, MqttClient>();
const sockets: Socket[] = [];
let haAlert: number;
let tnAlert: number;

const bin = (id: string, city: string, ward: string, lat: number, lon: number) =>
  ({ id, kind: 'waste', city, ward, lat, lon, pole: null, zone: null, name: `Thùng rác ${id}` }) as const;
const haBin = bin('ha-sc-waste-01', 'hoi-an', 'phuong-hoi-an', 15.877, 108.328);
const tnBin = bin('tn-sc-waste-01', 'tay-ninh', 'phuong-tan-ninh', 11.31, 106.098);

const token = (headers: Record<string, string>) => headers.authorization!.slice('Bearer '.length);

async function user(username: string, role: string, scope: unknown) {
  const res = await app.request('POST', '/api/v1/users', admin, {
    username,
    password: testAdminPassword,
    role,
    scope,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return app.login(username, testAdminPassword);
}

async function send(device: { id: string; city: string }, channel: string, body: unknown) {
  await publish(
    clients.get(device.id)!,
    `ioc/${device.city}/waste/${device.id}/${channel}`,
    JSON.stringify(body),
  );
}

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  adminToken = token(admin);
  for (const d of [haBin, tnBin]) {
    const { secret } = await app.registry.create(d);
    clients.set(d.id, await connectDevice(app.mqttUrl, d.id, secret));
  }
  hoiAn = await user('ha.operator', 'operator', ['hoi-an']);
  hoiAnToken = token(hoiAn);
  await user('tn.operator', 'operator', ['phuong-tan-ninh']);
  for (const d of [haBin, tnBin]) await send(d, 'event', { type: 'tamper', data: {} });
  const all = await eventually(
    () => app.request('GET', '/api/v1/alerts?state=open', admin),
    (r) => r.body.items.length === 2,
  );
  haAlert = all.body.items.find((a: { deviceId: string }) => a.deviceId === haBin.id).id;
  tnAlert = all.body.items.find((a: { deviceId: string }) => a.deviceId === tnBin.id).id;
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  for (const client of clients.values()) client.end(true);
  await app.close();
});

describe('alerts over REST', () => {
  it('lists and summarises Hội An only; an unscoped admin sees both', async () => {
    const mine = await app.request('GET', '/api/v1/alerts', hoiAn);
    expect(mine.body.items.map((a: { id: number }) => a.id)).toEqual([haAlert]);
    expect((await app.request('GET', '/api/v1/alerts?city=tay-ninh', hoiAn)).body.items).toEqual([]);
    const summary = await app.request('GET', '/api/v1/alerts/summary', hoiAn);
    expect(summary.body.groups.map((g: { city: string }) => g.city)).toEqual(['hoi-an']);
    const all = await app.request('GET', '/api/v1/alerts/summary', admin);
    expect(all.body.groups.map((g: { city: string }) => g.city).sort()).toEqual(['hoi-an', 'tay-ninh']);
  });

  it('answers 404 for a Tây Ninh alert, to read it or to act on it, and changes nothing', async () => {
    const reads = ['', '/timeline', '/context'];
    for (const path of reads) {
      const res = await app.request('GET', `/api/v1/alerts/${tnAlert}${path}`, hoiAn);
      expect(res.status, path).toBe(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
      expect((await app.request('GET', `/api/v1/alerts/${haAlert}${path}`, hoiAn)).status, path).toBe(200);
    }
    const actions: Array<[string, unknown]> = [
      ['ack', { note: 'đã xem' }],
      ['resolve', {}],
      ['assign', {}],
      ['unassign', {}],
      ['notes', { text: 'ghi chú' }],
    ];
    for (const [path, body] of actions) {
      const res = await app.request('POST', `/api/v1/alerts/${tnAlert}/${path}`, hoiAn, body);
      expect(res.status, path).toBe(404);
      expect(res.body.error.message).toBe(`alert ${tnAlert} does not exist`);
    }
    const untouched = await app.request('GET', `/api/v1/alerts/${tnAlert}`, admin);
    expect(untouched.body).toMatchObject({ state: 'open', assignee: null });
    expect(untouched.body.history.map((h: { action: string }) => h.action)).toEqual(['opened']);
  });

  it('gives an alert only to someone whose scope reaches it', async () => {
    const refused = await app.request('POST', `/api/v1/alerts/${haAlert}/assign`, hoiAn, {
      assignee: 'tn.operator',
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/tn.operator cannot be given this alert/);
    const taken = await app.request('POST', `/api/v1/alerts/${haAlert}/assign`, hoiAn, {});
    expect(taken.status).toBe(200);
    expect(taken.body.assignee).toBe('ha.operator');
  });

  it('bulk acknowledgement leaves Tây Ninh alone and says its id does not exist', async () => {
    const byFilter = await app.request('POST', '/api/v1/alerts/acknowledge', hoiAn, {
      filter: { city: 'tay-ninh' },
    });
    expect(byFilter.body).toEqual({ acknowledged: [], failed: [], remaining: 0 });
    const byIds = await app.request('POST', '/api/v1/alerts/acknowledge', hoiAn, { ids: [haAlert, tnAlert] });
    expect(byIds.body.acknowledged).toEqual([haAlert]);
    expect(byIds.body.failed).toEqual([
      expect.objectContaining({ id: tnAlert, code: 'NOT_FOUND', state: null }),
    ]);
    expect((await app.request('GET', `/api/v1/alerts/${tnAlert}`, admin)).body.state).toBe('open');
  });
});

describe('the notification delivery log', () => {
  it('holds the deliveries of Hội An alerts only; one about Tây Ninh is not found', async () => {
    // Deliveries as the dispatcher stores them, already skipped so nothing is sent.
    const { rows } = await app.pool.query(
      `WITH c AS (INSERT INTO notification_channels (name, type) VALUES ('Trực ban', 'email') RETURNING id)
       INSERT INTO notification_deliveries (alert_id, event, channel_id, channel_type, address, recipient,
         status, next_attempt_at, created_at, updated_at)
       SELECT a, 'opened', c.id, 'email', 'truc.ban@example.vn', 't***@example.vn', 'skipped', now(), now(), now()
         FROM c, unnest($1::bigint[]) AS a
       RETURNING id::int, alert_id::int AS "alertId"`,
      [[haAlert, tnAlert]],
    );
    const tnDelivery = rows.find((r) => r.alertId === tnAlert).id;
    const mine = await app.request('GET', '/api/v1/notifications/deliveries', hoiAn);
    expect(mine.body.items.map((d: { alertId: number }) => d.alertId)).toEqual([haAlert]);
    expect((await app.request('GET', `/api/v1/notifications/deliveries/${tnDelivery}`, hoiAn)).status).toBe(
      404,
    );
    expect((await app.request('GET', `/api/v1/notifications/deliveries/${tnDelivery}`, admin)).status).toBe(
      200,
    );
    const all = await app.request('GET', '/api/v1/notifications/deliveries', admin);
    expect(all.body.items.map((d: { alertId: number }) => d.alertId).sort()).toEqual(
      [haAlert, tnAlert].sort(),
    );
  });
});

describe('the live console', () => {
  it('snapshots Hội An only, even when subscribed to Tây Ninh', async () => {
    const socket = liveConsole(app.baseUrl, hoiAnToken, sockets);
    const first = await nextEvent<any>(socket, 'snapshot');
    expect(first.devices.map((d: { id: string }) => d.id)).toEqual([haBin.id]);
    expect(first.alerts.map((a: { id: number }) => a.id)).toEqual([haAlert]);
    const fresh = nextEvent<any>(socket, 'snapshot');
    expect(await socket.emitWithAck('subscribe', { city: 'tay-ninh' })).toMatchObject({ ok: true });
    const narrowed = await fresh;
    expect(narrowed).toMatchObject({ devices: [], alerts: [] });
  });

  it('sends Hội An events and never Tây Ninh ones', async () => {
    const watcher = liveConsole(app.baseUrl, adminToken, sockets);
    const scoped = liveConsole(app.baseUrl, hoiAnToken, sockets);
    await Promise.all([nextEvent(watcher, 'snapshot'), nextEvent(scoped, 'snapshot')]);
    const telemetry: string[] = [];
    const alerts: number[] = [];
    scoped.on('telemetry', (batch: Array<{ deviceId: string }>) => {
      for (const entry of batch) telemetry.push(entry.deviceId);
    });
    scoped.on('alert', (event: { alert: { id: number } }) => alerts.push(event.alert.id));

    // Tây Ninh first, seen by the unscoped console; then Hội An. Had a Tây Ninh event been sent to
    // the scoped console, it would have arrived before the Hội An one it waits for.
    const tnReading = nextEvent<any[]>(watcher, 'telemetry', (b) => b.some((e) => e.deviceId === tnBin.id));
    await send(tnBin, 'telemetry', { metrics: { fill_pct: 40 } });
    await tnReading;
    const tnTransition = nextEvent<any>(watcher, 'alert', (e) => e.alert.id === tnAlert);
    expect((await app.request('POST', `/api/v1/alerts/${tnAlert}/ack`, admin, {})).status).toBe(200);
    await tnTransition;

    const haReading = nextEvent<any[]>(scoped, 'telemetry', (b) => b.some((e) => e.deviceId === haBin.id));
    await send(haBin, 'telemetry', { metrics: { fill_pct: 55 } });
    await haReading;
    const haTransition = nextEvent<any>(scoped, 'alert', (e) => e.alert.id === haAlert);
    expect((await app.request('POST', `/api/v1/alerts/${haAlert}/resolve`, hoiAn, {})).status).toBe(200);
    await haTransition;

    expect(new Set(telemetry)).toEqual(new Set([haBin.id]));
    expect(new Set(alerts)).toEqual(new Set([haAlert]));
  });

  it('a new scope ends the console’s session at once', async () => {
    const moved = await user('ha.viewer', 'viewer', ['hoi-an']);
    const socket = liveConsole(app.baseUrl, token(moved), sockets);
    await nextEvent(socket, 'snapshot');
    const ended = nextEvent<{ code: string }>(socket, 'session_ended');
    const closed = nextEvent(socket, 'disconnect');
    expect(
      (await app.request('PATCH', '/api/v1/users/ha.viewer', admin, { scope: ['tay-ninh'] })).status,
    ).toBe(204);
    expect((await ended).code).toBe('UNAUTHENTICATED');
    await closed;
  });
});
