// External broker mode on a real Mosquitto with dynamic security: two IOC instances on one database
// share the devices' topics through a shared subscription, every reading is stored once, and devices
// created, rotated or deleted through the API are created, changed or removed on the broker.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

const run = promisify(execFile);
let mosquitto: TestMosquitto;
let a: TestApp;
let b: TestApp;
let admin: Record<string, string>;

const device = (n: number) => ({
  id: `tn-p3-env-8${String(n).padStart(3, '0')}`,
  kind: 'environment',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.31,
  lon: 106.1,
  name: `Trạm thử ${n}`,
});
const topicOf = (id: string) => `ioc/tay-ninh/environment/${id}/telemetry`;
const accepted = async (app: TestApp) => (await app.metrics.readingsAccepted.get()).values[0]?.value ?? 0;

beforeAll(async () => {
  mosquitto = await startMosquitto();
  // Instances of one deployment share JWT_SECRET: a token from one is good on the other.
  const jwt = { JWT_SECRET: 'q7Rk2vN9pLx4Tz8WcYb3HmJd6FsGa5Ue1KoPiVnQ' };
  a = await startTestApp({ ...mosquitto.env('test-a'), ...jwt });
  b = await startTestApp({ ...mosquitto.env('test-b'), ...jwt }, { databaseUrl: a.databaseUrl });
  admin = await a.login();
});
afterAll(async () => {
  await b?.close();
  await a?.close();
  await mosquitto?.stop();
});

describe('external broker (Mosquitto, shared subscription)', () => {
  it('starts no embedded broker and is ready once subscribed', async () => {
    expect(a.mqttPort).toBeUndefined();
    // The subscription is acknowledged by Mosquitto a moment after start-up on a loaded machine.
    expect(await eventually(async () => a.broker.ready(), Boolean)).toBe(true);
    const ready = await a.request('GET', '/readyz');
    expect(ready.status).toBe(200);
  });

  it('stores every reading of a small fleet once and spreads the load over both instances', async () => {
    const fleet: Array<{ id: string; secret: string }> = [];
    for (let n = 1; n <= 4; n++) {
      const created = await a.request('POST', '/api/v1/devices', admin, device(n));
      expect(created.status).toBe(201);
      fleet.push({ id: created.body.id ?? device(n).id, secret: created.body.credentials.secret as string });
    }
    // Instance B learns of devices registered on A through NOTIFY before their first message.
    await eventually(async () => fleet.every(({ id }) => b.registry.get(id)), Boolean);
    const perDevice = 25;
    const start = Date.now() - 600_000;
    await Promise.all(
      fleet.map(async ({ id, secret }) => {
        const client = await connectDevice(mosquitto.url, id, secret);
        for (let i = 0; i < perDevice; i++) {
          await publish(client, topicOf(id), JSON.stringify({ ts: start + i * 1000, metrics: { pm25: i } }));
        }
        await client.endAsync();
      }),
    );
    const expected = fleet.length * perDevice;
    const count = await eventually(
      async () =>
        Number(
          (await a.pool.query(`SELECT count(*) AS n FROM telemetry WHERE device_id LIKE 'tn-p3-env-8%'`))
            .rows[0].n,
        ),
      (n) => n >= expected,
      10_000,
    );
    expect(count).toBe(expected);
    expect(await accepted(a)).toBeGreaterThan(0);
    expect(await accepted(b)).toBeGreaterThan(0);
    expect((await accepted(a)) + (await accepted(b))).toBe(expected);
  });
});

describe('device accounts on Mosquitto (dynamic security)', () => {
  it('lets a device created through the API connect with its secret, and no other', async () => {
    const created = await a.request('POST', '/api/v1/devices', admin, device(100));
    expect(created.status).toBe(201);
    const client = await connectDevice(mosquitto.url, device(100).id, created.body.credentials.secret);
    await client.endAsync();
    await expect(connectDevice(mosquitto.url, device(100).id, 'not-the-secret')).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
  });

  it('lets a device publish only under its own topics and subscribe only to its cmd', async () => {
    const created = await a.request('POST', '/api/v1/devices', admin, device(101));
    const client = await connectDevice(mosquitto.url, device(101).id, created.body.credentials.secret);
    const [own] = await client.subscribeAsync(`ioc/tay-ninh/environment/${device(101).id}/cmd`, { qos: 1 });
    expect(own?.qos).toBe(1);
    await expect(client.subscribeAsync('ioc/#', { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await client.endAsync();
  });

  it('replaces the secret on rotation: the new one works, the old one is refused', async () => {
    const created = await a.request('POST', '/api/v1/devices', admin, device(102));
    const old = created.body.credentials.secret as string;
    // On the other instance: it learnt of the device through NOTIFY.
    await eventually(async () => b.registry.get(device(102).id), Boolean);
    const rotated = await b.request('POST', `/api/v1/devices/${device(102).id}/credentials`, admin);
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(old);
    const client = await connectDevice(mosquitto.url, device(102).id, fresh);
    await client.endAsync();
    await expect(connectDevice(mosquitto.url, device(102).id, old)).rejects.toThrow(
      /Bad username or password|Not authorized/i,
    );
  });

  it('gives a device without a broker account (registered before the switch) one, with a new secret', async () => {
    const created = await a.request('POST', '/api/v1/devices', admin, device(104));
    const old = created.body.credentials.secret as string;
    // As if the device had been registered while the embedded broker was in use.
    await run(inject('services').mosquittoCtrl, [
      ...['-h', '127.0.0.1', '-p', String(mosquitto.port)],
      ...['-u', mosquitto.admin.username, '-P', mosquitto.admin.password],
      ...['dynsec', 'deleteClient', device(104).id],
    ]);
    await expect(connectDevice(mosquitto.url, device(104).id, old)).rejects.toThrow();
    const sync = await a.request('POST', '/api/v1/broker/sync', admin, {});
    expect(sync.status).toBe(200);
    expect(sync.body.rotated.map((r: { id: string }) => r.id)).toEqual([device(104).id]);
    const client = await connectDevice(mosquitto.url, device(104).id, sync.body.rotated[0].secret);
    await client.endAsync();
  });

  it('refuses a deleted device', async () => {
    const created = await a.request('POST', '/api/v1/devices', admin, device(103));
    const removed = await a.request('DELETE', `/api/v1/devices/${device(103).id}`, admin);
    expect(removed.status).toBe(204);
    await expect(
      connectDevice(mosquitto.url, device(103).id, created.body.credentials.secret),
    ).rejects.toThrow(/Bad username or password|Not authorized/i);
  });
});
