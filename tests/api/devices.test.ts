import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceWire } from '../../src/registry/wire.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
const newDevice = {
  id: 'tn-p1-sl-9001',
  kind: 'streetlight',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3105,
  lon: 106.0982,
  pole: 'tn-p1-pole-9001',
  name: 'Đèn thử – Đường 30 Tháng 4',
};

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
});
afterAll(async () => app.close());

describe('login', () => {
  it('gives the bootstrap admin a token and refuses a wrong password with the error shape', async () => {
    const ok = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      { username: 'admin', password: 'test-admin-password-1234' },
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ token: expect.any(String), role: 'admin' });
    const bad = await app.request('POST', '/api/v1/auth/login', {}, { username: 'admin', password: 'wrong' });
    expect(bad).toEqual({
      status: 401,
      body: { error: { code: 'UNAUTHENTICATED', message: 'wrong username or password' } },
    });
    const unknown = await app.request(
      'POST',
      '/api/v1/auth/login',
      {},
      { username: 'nobody', password: 'wrong' },
    );
    expect(unknown.body).toEqual(bad.body);
  });

  it('answers a malformed body with VALIDATION_FAILED naming the field', async () => {
    const res = await app.request('POST', '/api/v1/auth/login', {}, { username: 'admin' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message).toMatch(/password/);
    const broken = await app.request('POST', '/api/v1/auth/login', {}, '{"username": ');
    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('VALIDATION_FAILED');
  });
});

describe('devices API', () => {
  it('refuses anonymous callers and bad tokens', async () => {
    expect((await app.request('GET', '/api/v1/devices')).body.error.code).toBe('UNAUTHENTICATED');
    const res = await app.request('GET', '/api/v1/devices', { authorization: 'Bearer nonsense' });
    expect(res.status).toBe(401);
  });

  it('registers a device and shows its MQTT secret only in that answer', async () => {
    const res = await app.request('POST', '/api/v1/devices', admin, newDevice);
    expect(res.status).toBe(201);
    expect(res.body.device).toMatchObject({ ...newDevice, zone: null, online: null });
    expect(DeviceWire.parse(res.body.device)).toEqual(res.body.device);
    expect(res.body.credentials).toEqual({
      username: newDevice.id,
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      topicPrefix: `ioc/tay-ninh/streetlight/${newDevice.id}/`,
    });
    const again = await app.request('GET', `/api/v1/devices/${newDevice.id}`, admin);
    expect(JSON.stringify(again.body)).not.toContain(res.body.credentials.secret);
    expect(JSON.stringify(again.body)).not.toMatch(/scrypt|secret/i);
    const stored = await app.pool.query('SELECT secret_hash FROM devices WHERE id = $1', [newDevice.id]);
    expect(stored.rows[0].secret_hash).toMatch(/^scrypt\$/);
    expect(stored.rows[0].secret_hash).not.toContain(res.body.credentials.secret);
  });

  it('refuses a duplicate id, an unknown ward and unknown fields with precise errors', async () => {
    expect(await app.request('POST', '/api/v1/devices', admin, newDevice)).toMatchObject({
      status: 409,
      body: { error: { code: 'DEVICE_EXISTS' } },
    });
    const ward = await app.request('POST', '/api/v1/devices', admin, {
      ...newDevice,
      id: 'tn-xx-sl-0001',
      ward: 'quan-1',
    });
    expect(ward.status).toBe(400);
    expect(ward.body.error.message).toMatch(/"quan-1" is not an administrative unit of tay-ninh/);
    const extra = await app.request('POST', '/api/v1/devices', admin, {
      ...newDevice,
      id: 'tn-p1-sl-9002',
      colour: 'red',
    });
    expect(extra.status).toBe(400);
    const kind = await app.request('POST', '/api/v1/devices', admin, {
      ...newDevice,
      id: 'tn-p1-sl-9003',
      kind: 'toaster',
    });
    expect(kind.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('shows the latest value of each metric with its unit', async () => {
    const { body } = await app.request('POST', `/api/v1/devices/${newDevice.id}/credentials`, admin);
    const client = await connectDevice(app.mqttUrl, newDevice.id, body.secret);
    await publish(
      client,
      `ioc/tay-ninh/streetlight/${newDevice.id}/telemetry`,
      JSON.stringify({ metrics: { lamp_on: 1, power_w: 96.5 } }),
    );
    client.end(true);
    const res = await app.request('GET', `/api/v1/devices/${newDevice.id}`, admin);
    expect(res.status).toBe(200);
    expect(res.body.latest).toEqual({
      lamp_on: { value: 1, ts: expect.any(String), unit: expect.any(String) },
      power_w: { value: 96.5, ts: expect.any(String), unit: 'W' },
    });
  });

  it('lists devices with filters and a total', async () => {
    const res = await app.request('GET', '/api/v1/devices?city=tay-ninh&kind=streetlight', admin);
    expect(res.body.total).toBe(1);
    expect(res.body.items[0].id).toBe(newDevice.id);
    expect((await app.request('GET', '/api/v1/devices?kind=camera', admin)).body).toEqual({
      items: [],
      total: 0,
      nextCursor: null,
    });
    expect((await app.request('GET', '/api/v1/devices?limit=0', admin)).status).toBe(400);
  });

  it('updates where a device stands but not its kind', async () => {
    const res = await app.request('PATCH', `/api/v1/devices/${newDevice.id}`, admin, {
      lat: 11.311,
      name: 'Đèn 1',
    });
    expect(res.body).toMatchObject({ lat: 11.311, name: 'Đèn 1' });
    expect(
      (await app.request('PATCH', `/api/v1/devices/${newDevice.id}`, admin, { kind: 'camera' })).status,
    ).toBe(400);
    expect((await app.request('PATCH', '/api/v1/devices/nope-000', admin, { lat: 1 })).body.error.code).toBe(
      'DEVICE_NOT_FOUND',
    );
  });

  it('keeps changes for admins: a viewer may read but not write', async () => {
    const viewer = await app.loginAs('viewer');
    expect((await app.request('GET', '/api/v1/devices', viewer)).status).toBe(200);
    const res = await app.request('DELETE', `/api/v1/devices/${newDevice.id}`, viewer);
    expect(res).toEqual({
      status: 403,
      body: { error: { code: 'FORBIDDEN', message: 'this needs the admin role; you are viewer' } },
    });
    expect((await app.request('GET', '/api/v1/dead-letters', viewer)).status).toBe(403);
  });

  it('deletes a device, after which it can no longer connect', async () => {
    const { body } = await app.request('POST', `/api/v1/devices/${newDevice.id}/credentials`, admin);
    expect((await app.request('DELETE', `/api/v1/devices/${newDevice.id}`, admin)).status).toBe(204);
    expect((await app.request('GET', `/api/v1/devices/${newDevice.id}`, admin)).body.error.code).toBe(
      'DEVICE_NOT_FOUND',
    );
    await expect(connectDevice(app.mqttUrl, newDevice.id, body.secret)).rejects.toThrow(
      /Bad username or password/i,
    );
  });

  it('answers an unknown route with the error shape', async () => {
    expect(await app.request('GET', '/api/v1/nothing-here', admin)).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'no route GET /api/v1/nothing-here' } },
    });
  });
});

describe('health, readiness, metrics and docs', () => {
  it('reports the process up and the database and broker ready', async () => {
    expect(await app.request('GET', '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await app.request('GET', '/readyz')).toEqual({
      status: 200,
      body: {
        status: 'ready',
        checks: { database: 'ok', broker: 'ok', journal: { state: 'idle', bytes: 0 } },
      },
    });
  });

  it('exposes Prometheus metrics', async () => {
    const res = await fetch(`${app.baseUrl}/metrics`);
    const text = await res.text();
    expect(text).toContain('ioc_ingest_rows_stored_total');
    expect(text).toContain('ioc_dead_letters_total');
  });

  it('publishes an OpenAPI document covering the device routes', async () => {
    const res = await fetch(`${app.baseUrl}/docs/json`);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/devices',
        '/api/v1/devices/{id}',
        '/api/v1/devices/{id}/telemetry',
        '/api/v1/auth/login',
      ]),
    );
  });
});
