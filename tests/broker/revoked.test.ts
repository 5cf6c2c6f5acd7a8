// A device whose right to connect ends while it is connected loses that connection at once: disabled,
// given a new secret, or deleted by an admin. It can come back only if it still may (enabled again, or
// with its new secret). Its neighbour's connection is untouched. Real MQTT clients, the embedded broker.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
const clients: MqttClient[] = [];

const lamp = (id: string) => ({
  id,
  kind: 'streetlight',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.328,
  name: `Đèn ${id}`,
});

async function register(id: string): Promise<string> {
  const res = await app.request('POST', '/api/v1/devices', admin, lamp(id));
  expect(res.status).toBe(201);
  return res.body.credentials.secret;
}

async function connected(id: string, secret: string): Promise<MqttClient & { closed: Promise<void> }> {
  const client = await connectDevice(app.mqttUrl, id, secret);
  clients.push(client);
  const closed = new Promise<void>((ok) => client.once('close', () => ok()));
  return Object.assign(client, { closed });
}

/** Whether a connection attempt with these credentials is refused (CONNACK with a refusal). */
const refused = (id: string, secret: string) =>
  connectDevice(app.mqttUrl, id, secret).then(
    (client) => {
      clients.push(client);
      return false;
    },
    () => true,
  );

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await app?.close();
});

describe('a device revoked while connected', { timeout: 20_000 }, () => {
  it('is disconnected when disabled, stays out, and comes back once enabled', async () => {
    const secret = await register('ha-ma-sl-4401');
    const neighbourSecret = await register('ha-ma-sl-4402');
    const device = await connected('ha-ma-sl-4401', secret);
    const neighbour = await connected('ha-ma-sl-4402', neighbourSecret);
    expect((await app.request('POST', '/api/v1/devices/ha-ma-sl-4401/disable', admin)).status).toBe(200);
    await device.closed;
    expect(await refused('ha-ma-sl-4401', secret)).toBe(true);
    expect(neighbour.connected).toBe(true);
    expect((await app.request('POST', '/api/v1/devices/ha-ma-sl-4401/enable', admin)).status).toBe(200);
    expect(await refused('ha-ma-sl-4401', secret)).toBe(false);
  });

  it('is disconnected when given a new secret, and connects again with the new one only', async () => {
    const secret = await register('ha-ma-sl-4403');
    const device = await connected('ha-ma-sl-4403', secret);
    const rotated = await app.request('POST', '/api/v1/devices/ha-ma-sl-4403/credentials', admin);
    expect(rotated.status).toBe(200);
    await device.closed;
    expect(await refused('ha-ma-sl-4403', secret)).toBe(true);
    expect(await refused('ha-ma-sl-4403', rotated.body.secret)).toBe(false);
  });

  it('is disconnected when deleted', async () => {
    const secret = await register('ha-ma-sl-4404');
    const device = await connected('ha-ma-sl-4404', secret);
    expect((await app.request('DELETE', '/api/v1/devices/ha-ma-sl-4404', admin)).status).toBe(204);
    await device.closed;
    expect(await refused('ha-ma-sl-4404', secret)).toBe(true);
  });
});
