// An alert storm and an alert's surroundings on the running system: acknowledging many alerts by ids or
// by a filter (each announced to consoles and webhooks, failures named, audited), and the context an
// operator opens beside an alert: the devices on its pole, the nearest cameras, the readings around it.
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertWire } from '../../src/alerts/wire.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { liveConsole } from '../helpers/live.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';
import { startHttp } from '../notifications/servers.ts';

let app: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;
let viewer: Record<string, string>;
let receiver: Awaited<ReturnType<typeof startHttp>>;
const sockets: Socket[] = [];
const secrets = new Map<string, string>();

const place = {
  'tay-ninh': { ward: 'phuong-tan-ninh', lat: 11.31, lon: 106.1 },
  'hoi-an': { ward: 'phuong-hoi-an', lat: 15.877, lon: 108.326 },
} as const;
const fireSensor = (id: string, city: keyof typeof place, pole: string | null = null) => ({
  id,
  kind: 'fire',
  city,
  ward: place[city].ward,
  lat: place[city].lat,
  lon: place[city].lon,
  pole,
  zone: null,
  name: `Cảm biến cháy ${id}`,
});
const storm = [
  fireSensor('tn-tn-fire-8101', 'tay-ninh'),
  fireSensor('tn-tn-fire-8102', 'tay-ninh'),
  fireSensor('tn-tn-fire-8103', 'tay-ninh'),
  fireSensor('ha-ha-fire-8201', 'hoi-an'),
  fireSensor('ha-ha-fire-8202', 'hoi-an'),
] as const;

// Around one fire sensor on a pole: two devices on the same pole, cameras 150 m, 600 m and 3 km north.
const metresNorth = (m: number) => place['tay-ninh'].lat + m / 111_195;
const onPole = fireSensor('tn-tn-fire-8301', 'tay-ninh', 'TN-CT-042');
const around = [
  onPole,
  { ...onPole, id: 'tn-tn-light-8302', kind: 'streetlight', name: 'Đèn CT-042' },
  { ...onPole, id: 'tn-tn-env-8303', kind: 'environment', name: 'Trạm không khí CT-042' },
  {
    ...onPole,
    id: 'tn-tn-cam-8304',
    kind: 'camera',
    pole: null,
    lat: metresNorth(150),
    name: 'Camera 150 m',
  },
  {
    ...onPole,
    id: 'tn-tn-cam-8305',
    kind: 'camera',
    pole: null,
    lat: metresNorth(600),
    name: 'Camera 600 m',
  },
  {
    ...onPole,
    id: 'tn-tn-cam-8306',
    kind: 'camera',
    pole: null,
    lat: metresNorth(3_000),
    name: 'Camera 3 km',
  },
];

async function send(device: { id: string; kind: string; city: string }, channel: string, payload: unknown) {
  const client = await connectDevice(app.mqttUrl, device.id, secrets.get(device.id)!);
  await publish(client, `ioc/${device.city}/${device.kind}/${device.id}/${channel}`, JSON.stringify(payload));
  client.end(true);
}

async function alarm(device: (typeof storm)[number] | typeof onPole) {
  await send(device, 'telemetry', { metrics: { alarm: 1 } });
  await app.alerts.engine.settled();
  const { body } = await app.request('GET', `/api/v1/alerts?deviceId=${device.id}&state=active`, admin);
  return body.items[0];
}

const acknowledge = (who: Record<string, string>, body: unknown) =>
  app.request('POST', '/api/v1/alerts/acknowledge', who, body);

beforeAll(async () => {
  app = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  admin = await app.login();
  operator = await app.loginAs('operator');
  viewer = await app.loginAs('viewer');
  for (const device of [...storm, ...around]) {
    const { secret } = await app.registry.create(device as Parameters<TestApp['registry']['create']>[0]);
    secrets.set(device.id, secret);
  }
  receiver = await startHttp([{ status: 204, body: null }]);
});
afterAll(async () => {
  for (const socket of sockets) socket.close();
  await receiver?.close();
  await app.close();
});

describe('bulk acknowledgement', () => {
  it('acknowledges by ids and by filter, names what it could not, and tells consoles and webhooks of each', async () => {
    const webhook = await app.request('POST', '/api/v1/webhooks', admin, {
      name: 'Trung tâm chỉ huy',
      url: receiver.url('/alerts'),
      secret: 'a-webhook-secret-of-enough-length',
      severities: ['critical'],
    });
    const socket = liveConsole(app.baseUrl, operator.authorization!.slice('Bearer '.length), sockets);
    await socket.emitWithAck('subscribe', {});
    const heard: Array<{ action: string; id: number; by: string | null }> = [];
    socket.on('alert', (e: any) =>
      heard.push({ action: e.action, id: e.alert.id, by: e.alert.acknowledgedBy }),
    );

    const alerts = [];
    for (const device of storm) alerts.push(await alarm(device));
    const [tn1, tn2, tn3, ha1, ha2] = alerts;
    await app.request('POST', `/api/v1/alerts/${tn1.id}/ack`, operator, {});

    expect((await acknowledge(viewer, { ids: [tn2.id] })).status).toBe(403);
    for (const bad of [{}, { ids: [tn2.id], filter: { city: 'tay-ninh' } }, { filter: {} }, { ids: [] }]) {
      expect((await acknowledge(operator, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    const tooMany = Array.from({ length: 1_001 }, (_, i) => i + 1);
    expect((await acknowledge(operator, { ids: tooMany })).status).toBe(400);

    const byIds = await acknowledge(operator, { ids: [tn1.id, tn2.id, 999_999, tn2.id], note: 'Bão số 9' });
    expect(byIds.status).toBe(200);
    expect(byIds.body).toEqual({
      acknowledged: [tn2.id],
      failed: [
        {
          id: tn1.id,
          code: 'CONFLICT',
          state: 'acknowledged',
          message: { vi: `Cảnh báo ${tn1.id} đã được xác nhận.`, en: `Alert ${tn1.id} is acknowledged.` },
        },
        {
          id: 999_999,
          code: 'NOT_FOUND',
          state: null,
          message: { vi: 'Không có cảnh báo 999999.', en: 'Alert 999999 does not exist.' },
        },
      ],
      remaining: 0,
    });

    const byFilter = await acknowledge(operator, { filter: { city: 'tay-ninh', kind: 'fire' } });
    expect(byFilter.body).toEqual({ acknowledged: [tn3.id], failed: [], remaining: 0 });
    // By ward: the unit in force (phường Hội An, the Old Town); former ids are the places tests' concern.
    const byWard = await acknowledge(operator, {
      filter: { city: 'hoi-an', ward: 'phuong-hoi-an', severity: 'critical' },
    });
    expect(byWard.body).toEqual({ acknowledged: [ha1.id, ha2.id], failed: [], remaining: 0 });

    const acknowledgedNow = [tn2.id, tn3.id, ha1.id, ha2.id];
    const events = await eventually(
      async () => heard.filter((e) => e.action === 'acknowledged'),
      (e) => e.length >= 5,
    );
    expect(events.map((e) => e.id).sort()).toEqual([tn1.id, ...acknowledgedNow].sort());
    expect(events.every((e) => e.by === 'operator')).toBe(true);
    const deliveries = await eventually(
      async () =>
        (await app.request('GET', `/api/v1/webhooks/${webhook.body.id}/deliveries`, admin)).body.items,
      (items: any[]) => items.filter((d) => d.action === 'acknowledged').length >= 5,
    );
    expect(
      deliveries
        .filter((d: any) => d.action === 'acknowledged')
        .map((d: any) => d.alertId)
        .sort(),
    ).toEqual([tn1.id, ...acknowledgedNow].sort());

    const timeline = (await app.request('GET', `/api/v1/alerts/${tn2.id}/timeline`, viewer)).body.items;
    expect(timeline.at(-1)).toMatchObject({ action: 'acknowledged', actor: 'operator', note: 'Bão số 9' });

    const audit = await eventually(
      async () =>
        (
          await app.request(
            'GET',
            `/api/v1/audit?action=${encodeURIComponent('POST /api/v1/alerts/acknowledge')}&limit=20`,
            admin,
          )
        ).body.items as any[],
      (items) => items.some((e) => e.details.body?.filter?.ward === 'phuong-hoi-an'),
    );
    expect(audit.find((e) => e.actor === 'viewer')).toMatchObject({ outcome: 'denied', status: 403 });
    expect(audit.find((e) => e.details.body?.note === 'Bão số 9')).toMatchObject({
      actor: 'operator',
      outcome: 'success',
      details: { body: { ids: [tn1.id, tn2.id, 999_999, tn2.id] } },
    });
  });
});

describe('context', () => {
  it('shows the devices on the pole, the nearest cameras with their state, and the readings around the alert', async () => {
    const now = Date.now();
    await send(onPole, 'telemetry', [
      { ts: now - 90 * 60_000, metrics: { temp_c: 29 } },
      { ts: now - 30 * 60_000, metrics: { temp_c: 31, smoke_pct: 2 } },
    ]);
    const alert = await alarm(onPole);
    const openedAt = Date.parse(alert.openedAt);
    await send(onPole, 'telemetry', { ts: openedAt + 60_000, metrics: { temp_c: 44 } });
    const camera = around[3]!;
    await send(camera, 'status', { online: true, fw: '2.1.0' });
    await send(camera, 'telemetry', { metrics: { recording: 1, fps: 25 } });

    const path = `/api/v1/alerts/${alert.id}/context`;
    const { body } = await eventually(
      () => app.request('GET', path, viewer),
      ({ body }) =>
        body.cameras?.[0]?.latest.length === 2 &&
        body.readings.points.some((p: any) => p.value === 44) &&
        body.cameras[0].online === true,
    );
    expect(body.device).toMatchObject({ id: onPole.id, pole: 'TN-CT-042' });
    expect(body.pole).toEqual({
      id: 'TN-CT-042',
      devices: [
        expect.objectContaining({ id: 'tn-tn-env-8303', kind: 'environment' }),
        expect.objectContaining({ id: 'tn-tn-light-8302', kind: 'streetlight' }),
      ],
    });
    expect(body.cameras.map((c: any) => [c.id, c.distanceM])).toEqual([
      ['tn-tn-cam-8304', 150],
      ['tn-tn-cam-8305', 600],
    ]);
    expect(body.cameras[0]).toMatchObject({
      online: true,
      status: expect.objectContaining({ fw: '2.1.0' }),
      latest: [
        { metric: 'fps', ts: expect.any(String), value: 25 },
        { metric: 'recording', ts: expect.any(String), value: 1 },
      ],
    });
    expect(body.cameras[1]).toMatchObject({ online: null, latest: [] });
    // An hour before to half an hour after: the reading of 90 minutes before is left out.
    expect(body.readings).toMatchObject({
      from: new Date(openedAt - 60 * 60_000).toISOString(),
      to: new Date(openedAt + 30 * 60_000).toISOString(),
      truncated: false,
    });
    expect(body.readings.points.map((p: any) => [p.metric, p.value])).toEqual([
      ['smoke_pct', 2],
      ['temp_c', 31],
      ['alarm', 1],
      ['temp_c', 44],
    ]);

    const near = await app.request('GET', `${path}?cameras=1&radiusM=500&beforeMin=10&afterMin=0`, viewer);
    expect(near.body.cameras.map((c: any) => c.id)).toEqual(['tn-tn-cam-8304']);
    expect(near.body.readings.points.map((p: any) => p.metric)).toEqual(['alarm']);
    expect((await app.request('GET', `${path}?cameras=21`, viewer)).status).toBe(400);
    expect((await app.request('GET', '/api/v1/alerts/999999/context', viewer)).status).toBe(404);
  });

  it('opens an alert by its id alone, as a link to a colleague does', async () => {
    const alert = await alarm(storm[0]);
    const { status, body } = await app.request('GET', `/api/v1/alerts/${alert.id}`, viewer);
    expect(status).toBe(200);
    const { history, instructions, ...wire } = body;
    expect(AlertWire.parse(wire)).toEqual(alert);
    expect(history[0]).toMatchObject({ action: 'opened', actor: 'system' });
    expect(instructions.vi).toContain('114');
  });
});
