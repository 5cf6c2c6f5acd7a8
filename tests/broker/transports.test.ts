// Other clients and transports than mqtt.js over TCP: Mosquitto's own command-line client, MQTT over
// websockets, and a device that announces a packet far larger than anything we accept.
import { execFile } from 'node:child_process';
import { connect as tcpConnect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectPacket, remainingLength } from '../../bench/load/mqttWire.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

const run = promisify(execFile);
let app: TestApp;
let secret: string;
const device = {
  id: 'tn-p4-waste-9001',
  kind: 'waste',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.3,
  lon: 106.1,
  pole: null,
  zone: null,
  name: 'Thùng rác thử',
} as const;
const topic = `ioc/tay-ninh/waste/${device.id}/telemetry`;
const stored = async () =>
  (
    await app.pool.query('SELECT value FROM telemetry WHERE device_id = $1 ORDER BY time', [device.id])
  ).rows.map((r) => r.value);

/** Mosquitto's own client, a real outside peer, where globalSetup found (or installed) it. */
const mosquittoPub = (password: string, message: string) =>
  run(inject('services').mosquittoPub, [
    ...['-h', '127.0.0.1', '-p', String(app.mqttPort), '-i', device.id, '-u', device.id, '-P', password],
    ...['-q', '1', '-t', topic, '-m', message],
  ]);

beforeAll(async () => {
  app = await startTestApp({ MQTT_WS_PORT: '0' });
  secret = (await app.registry.create(device)).secret;
});
afterAll(async () => app.close());

describe('other MQTT clients and transports', () => {
  it('accepts a reading from mosquitto_pub (a real outside client) at QoS 1', async () => {
    await mosquittoPub(secret, JSON.stringify({ ts: Date.now() - 60_000, metrics: { fill_pct: 71 } }));
    expect(await stored()).toContain(71);
  });

  it('refuses mosquitto_pub with a wrong password', async () => {
    await expect(mosquittoPub('wrong', '{}')).rejects.toThrow(/not authori[sz]ed|bad user name or password/i);
  });

  it('speaks MQTT over websockets on MQTT_WS_PORT with the same authentication', async () => {
    expect(app.mqttWsPort).toBeGreaterThan(0);
    const client = await connectDevice(`ws://127.0.0.1:${app.mqttWsPort}`, device.id, secret);
    await publish(client, topic, JSON.stringify({ ts: Date.now() - 30_000, metrics: { fill_pct: 72 } }));
    client.end(true);
    expect(await stored()).toContain(72);
    await expect(connectDevice(`ws://127.0.0.1:${app.mqttWsPort}`, device.id, 'wrong')).rejects.toThrow(
      /Bad username or password/i,
    );
  });

  it('cuts a device that announces a 200 MB packet before reading it, and keeps a dead letter', async () => {
    const socket = tcpConnect(app.mqttPort!, '127.0.0.1');
    socket.on('error', () => {}); // the cut may come as a reset while the body is still being written
    await new Promise((ok) => socket.once('connect', ok));
    // Authenticated first: before CONNACK anything but a small CONNECT is cut without a dead letter
    // (tests/security/mqttPreAuth.test.ts).
    const connack = new Promise((ok) => socket.once('data', ok));
    socket.write(connectPacket(device.id, device.id, secret));
    expect([...((await connack) as Buffer)]).toEqual([0x20, 2, 0, 0]);
    // A PUBLISH fixed header announcing 200,000,000 bytes, then a trickle of body.
    socket.write(Buffer.from([0x30, ...remainingLength(200_000_000)]));
    socket.write(Buffer.alloc(1024, 0x41));
    await new Promise((ok) => socket.once('close', ok));
    const letters = await eventually(
      async () =>
        (await app.pool.query("SELECT message FROM dead_letters WHERE reason = 'PAYLOAD_TOO_LARGE'")).rows,
      (rows) => rows.length > 0,
    );
    expect(letters[0].message).toMatch(/200000000 bytes/);
    // Everyone else carries on.
    const client = await connectDevice(app.mqttUrl, device.id, secret);
    await publish(client, topic, JSON.stringify({ ts: Date.now() - 10_000, metrics: { fill_pct: 73 } }));
    client.end(true);
    expect(await stored()).toContain(73);
  });
});
