// MQTT over TLS and WSS: server certificate from files, devices logging in with their secret or with a
// client certificate whose CN is their id (signed by the configured CA), and plain TCP off once TLS is on.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createTestCertificates, type Pem, type TestCertificates } from '../helpers/certificates.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

const run = promisify(execFile);
let certs: TestCertificates;
let app: TestApp;
let secret: string;
let ownCertificate: Pem;
const device = {
  id: 'ha-ma-env-9101',
  kind: 'environment',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.328,
  pole: null,
  zone: null,
  name: 'Trạm thử TLS',
} as const;
const other = { ...device, id: 'ha-ma-env-9102', name: 'Trạm thử TLS 2' } as const;
const topic = (id: string) => `ioc/hoi-an/environment/${id}/telemetry`;

const tlsEnv = () => ({
  MQTT_TLS_PORT: '0',
  MQTT_WS_PORT: '0',
  MQTT_TLS_CERT_FILE: certs.server.certFile,
  MQTT_TLS_KEY_FILE: certs.server.keyFile,
  MQTT_TLS_CA_FILE: certs.ca.certFile,
});
const mqtts = (target: TestApp) => `mqtts://127.0.0.1:${target.mqttTlsPort}`;
const failures = async (target: TestApp, reason: string) =>
  (await target.metrics.mqttAuthFailures.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;
const stored = async (id: string) =>
  (await app.pool.query('SELECT value FROM telemetry WHERE device_id = $1 ORDER BY time', [id])).rows.map(
    (r) => r.value,
  );
const reading = (pm25: number) => JSON.stringify({ ts: Date.now() - 1_000 * pm25, metrics: { pm25 } });

beforeAll(async () => {
  certs = await createTestCertificates();
  app = await startTestApp(tlsEnv());
  secret = (await app.registry.create(device)).secret;
  await app.registry.create(other);
  ownCertificate = await certs.device(device.id);
});
afterAll(async () => {
  await app?.close();
  await certs?.remove();
});

describe('MQTT over TLS', () => {
  it('turns plain TCP off once TLS is configured, unless asked for', () => {
    expect(app.mqttTlsPort).toBeGreaterThan(0);
    expect(app.mqttPort).toBeUndefined();
  });

  it('lets a device in with its secret over TLS, verifying the server against the city CA', async () => {
    const client = await connectDevice(mqtts(app), device.id, secret, { ca: certs.ca.cert });
    await publish(client, topic(device.id), reading(11));
    client.end(true);
    expect(await stored(device.id)).toContain(11);
  });

  it('lets a device in with a client certificate whose CN is its id, without a password', async () => {
    const client = await connectDevice(mqtts(app), device.id, undefined, {
      ca: certs.ca.cert,
      cert: ownCertificate.cert,
      key: ownCertificate.key,
    });
    await publish(client, topic(device.id), reading(12));
    client.end(true);
    expect(await stored(device.id)).toContain(12);
  });

  it("refuses a certificate used under another device's id, and a wrong password beside a good certificate", async () => {
    const before = await failures(app, 'certificate_mismatch');
    const tls = { ca: certs.ca.cert, cert: ownCertificate.cert, key: ownCertificate.key };
    await expect(connectDevice(mqtts(app), other.id, undefined, tls)).rejects.toThrow(
      /Bad username or password/i,
    );
    expect(await failures(app, 'certificate_mismatch')).toBe(before + 1);
    await expect(connectDevice(mqtts(app), device.id, 'not-the-secret', tls)).rejects.toThrow(
      /Bad username or password/i,
    );
  });

  it('refuses a certificate signed by a CA the city does not trust, and one for an unregistered device', async () => {
    const before = await failures(app, 'bad_certificate');
    const rogue = await certs.device(device.id, 'rogue');
    await expect(
      connectDevice(mqtts(app), device.id, undefined, {
        ca: certs.ca.cert,
        cert: rogue.cert,
        key: rogue.key,
      }),
    ).rejects.toThrow(/Bad username or password/i);
    expect(await failures(app, 'bad_certificate')).toBe(before + 1);
    const stranger = await certs.device('ha-ma-env-0000');
    await expect(
      connectDevice(mqtts(app), 'ha-ma-env-0000', undefined, {
        ca: certs.ca.cert,
        cert: stranger.cert,
        key: stranger.key,
      }),
    ).rejects.toThrow(/Bad username or password/i);
  });

  it('speaks WSS on MQTT_WS_PORT with the same certificate checks', async () => {
    const client = await connectDevice(`wss://127.0.0.1:${app.mqttWsPort}`, device.id, undefined, {
      ca: certs.ca.cert,
      cert: ownCertificate.cert,
      key: ownCertificate.key,
    });
    await publish(client, topic(device.id), reading(13));
    client.end(true);
    expect(await stored(device.id)).toContain(13);
    await expect(
      connectDevice(`wss://127.0.0.1:${app.mqttWsPort}`, device.id, 'wrong', { ca: certs.ca.cert }),
    ).rejects.toThrow(/Bad username or password/i);
  });

  it('accepts mosquitto_pub (a real outside client) with its device certificate', async () => {
    await run(inject('services').mosquittoPub, [
      ...['-h', '127.0.0.1', '-p', String(app.mqttTlsPort), '-i', device.id],
      ...['--cafile', certs.ca.certFile, '--cert', ownCertificate.certFile, '--key', ownCertificate.keyFile],
      ...['-q', '1', '-t', topic(device.id), '-m', reading(14)],
    ]);
    expect(
      await eventually(
        () => stored(device.id),
        (v) => v.includes(14),
      ),
    ).toContain(14);
  });

  it('is refused by a client that checks the server against another CA', async () => {
    await expect(connectDevice(mqtts(app), device.id, secret, { ca: certs.rogueCa.cert })).rejects.toThrow(
      /certificate/i,
    );
  });
});

describe('required device certificates', () => {
  let strict: TestApp;
  beforeAll(async () => {
    strict = await startTestApp({
      ...tlsEnv(),
      MQTT_TLS_REQUIRE_CLIENT_CERT: 'true',
      MQTT_ALLOW_PLAINTEXT: 'true',
    });
    await strict.registry.create(device);
  });
  afterAll(async () => strict?.close());

  it('ends the TLS handshake of a client without a certificate before it can send CONNECT', async () => {
    const before = await failures(strict, 'tls_handshake');
    const own = await strict.registry.rotateCredentials(device.id);
    await expect(connectDevice(mqtts(strict), device.id, own, { ca: certs.ca.cert })).rejects.toThrow();
    expect(
      await eventually(
        () => failures(strict, 'tls_handshake'),
        (n) => n > before,
      ),
    ).toBeGreaterThan(before);
    const client = await connectDevice(mqtts(strict), device.id, undefined, {
      ca: certs.ca.cert,
      cert: ownCertificate.cert,
      key: ownCertificate.key,
    });
    client.end(true);
  });

  it('keeps plain TCP beside TLS when MQTT_ALLOW_PLAINTEXT=true', async () => {
    expect(strict.mqttPort).toBeGreaterThan(0);
    expect(strict.mqttTlsPort).toBeGreaterThan(0);
  });
});
