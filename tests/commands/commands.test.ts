// Device commands over real MQTT: a simulated streetlight obeys, a refusing device fails the command,
// a device that is gone times it out, and bad requests say what is wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningFleet, runFleet } from '../../simulators/fleet.ts';
import { topicPrefix } from '../../src/registry/fleets.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let operator: Record<string, string>;
let viewer: Record<string, string>;
let fleet: RunningFleet;
const place = {
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3105,
  lon: 106.0982,
  pole: null,
  zone: null,
} as const;
const lamp = { ...place, id: 'tn-p1-sl-9301', kind: 'streetlight', name: 'Đèn thử lệnh' } as const;
const stubborn = { ...place, id: 'tn-p1-sl-9302', kind: 'streetlight', name: 'Đèn từ chối' } as const;
const gone = { ...place, id: 'tn-p1-sl-9303', kind: 'streetlight', name: 'Đèn mất kết nối' } as const;

beforeAll(async () => {
  app = await startTestApp({ COMMAND_TIMEOUT_S: '1' });
  operator = await app.loginAs('operator');
  viewer = await app.loginAs('viewer');
  const { secret } = await app.registry.create(lamp);
  fleet = runFleet({
    mqttUrl: app.mqttUrl,
    devices: [{ id: lamp.id, kind: lamp.kind, city: lamp.city, topicPrefix: topicPrefix(lamp), secret }],
    catalog: app.catalog,
    rate: 5,
    qos: 1,
    seed: 3,
  });
  await fleet.ready;
  await eventually(
    async () => fleet.connected(),
    (n) => n === 1,
  );
  await app.registry.create(stubborn);
  await app.registry.create(gone);
});
afterAll(async () => {
  await fleet.stop();
  await app.close();
});

describe('device commands', () => {
  it('dims a simulated streetlight: succeeded, and its next telemetry shows the new level', async () => {
    const sent = await app.request('POST', `/api/v1/devices/${lamp.id}/commands`, operator, {
      name: 'set_lamp',
      args: { on: true, dim_pct: 35 },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({
      deviceId: lamp.id,
      name: 'set_lamp',
      requestedBy: 'operator',
      args: { on: true, dim_pct: 35 },
    });
    // A quick lamp may have answered before the POST returned.
    expect(['pending', 'succeeded']).toContain(sent.body.state);
    const done = await eventually(
      () => app.request('GET', `/api/v1/devices/${lamp.id}/commands/${sent.body.id}`, viewer),
      (r) => r.body.state !== 'pending',
    );
    expect(done.body).toMatchObject({ state: 'succeeded', result: { ok: true, detail: 'applied' } });
    const latest = await eventually(
      () => app.request('GET', `/api/v1/devices/${lamp.id}`, viewer),
      (r) => r.body.latest?.dim_pct?.value === 35,
    );
    expect(latest.body.latest.lamp_on.value).toBe(1);
  });

  it('marks a command failed when the device answers ok: false', async () => {
    const secret = await app.registry.rotateCredentials(stubborn.id);
    const device = await connectDevice(app.mqttUrl, stubborn.id, secret);
    await device.subscribeAsync(`${topicPrefix(stubborn)}cmd`, { qos: 1 });
    device.on('message', (_topic, payload) => {
      const { id } = JSON.parse(payload.toString());
      publish(
        device,
        `${topicPrefix(stubborn)}event`,
        JSON.stringify({ type: 'cmd_result', id, data: { ok: false, detail: 'driver fault' } }),
      ).catch(() => {}); // the test may hang up before this answer is acknowledged
    });
    const sent = await app.request('POST', `/api/v1/devices/${stubborn.id}/commands`, operator, {
      name: 'set_lamp',
      args: { on: false },
    });
    const done = await eventually(
      () => app.request('GET', `/api/v1/devices/${stubborn.id}/commands/${sent.body.id}`, viewer),
      (r) => r.body.state !== 'pending',
    );
    device.end(true);
    expect(done.body).toMatchObject({ state: 'failed', result: { ok: false, detail: 'driver fault' } });
  });

  it('times a command out when the device is gone', async () => {
    const sent = await app.request('POST', `/api/v1/devices/${gone.id}/commands`, operator, {
      name: 'set_lamp',
      args: { on: true },
    });
    await app.commands.sweep(new Date(Date.now() + 2_000));
    const { body } = await app.request('GET', `/api/v1/devices/${gone.id}/commands/${sent.body.id}`, viewer);
    expect(body.state).toBe('timed_out');
    const list = await app.request('GET', `/api/v1/devices/${gone.id}/commands`, viewer);
    expect(list.body.items.map((c: any) => c.id)).toEqual([sent.body.id]);
  });

  it('refuses viewers, bad arguments, unknown commands and unknown devices with precise errors', async () => {
    expect(
      (await app.request('POST', `/api/v1/devices/${lamp.id}/commands`, viewer, { name: 'ping' })).status,
    ).toBe(403);
    const dim = await app.request('POST', `/api/v1/devices/${lamp.id}/commands`, operator, {
      name: 'set_lamp',
      args: { dim_pct: 150 },
    });
    expect(dim.status).toBe(400);
    expect(dim.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/args\.dim_pct/),
    });
    const odd = await app.request('POST', `/api/v1/devices/${lamp.id}/commands`, operator, {
      name: 'self_destruct',
    });
    expect(odd.body.error.message).toBe(
      'a streetlight does not understand "self_destruct"; it understands set_lamp, ping',
    );
    const nobody = await app.request('POST', '/api/v1/devices/tn-p1-sl-0000/commands', operator, {
      name: 'ping',
    });
    expect(nobody).toMatchObject({ status: 404, body: { error: { code: 'DEVICE_NOT_FOUND' } } });
  });
});
