// What a hostile or broken device can try on the broker: a wrong secret, another device's topics,
// wildcard and $SYS subscriptions, publishing with wildcards, and a flood of garbage. Each is refused,
// counted in metrics or kept as a dead letter, and the honest devices carry on.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let attacker: { id: string; secret: string };
let honest: { id: string; secret: string };
const place = {
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.328,
  pole: null,
  zone: null,
} as const;
const topic = (id: string, channel: string) => `ioc/hoi-an/noise/${id}/${channel}`;

const counter = async (name: 'mqttAuthFailures' | 'deadLetters', label: string) =>
  (await app.metrics[name].get()).values.find((v) => v.labels.reason === label)?.value ?? 0;
const refusedSubscription = (client: MqttClient, filter: string) =>
  client.subscribeAsync(filter, { qos: 1 }).then(
    (granted) => granted[0]?.qos,
    (error: { packet?: { granted?: number[] } }) => error.packet?.granted?.[0],
  );

beforeAll(async () => {
  app = await startTestApp();
  for (const [id, name] of [
    ['ha-ma-noise-9901', 'Ồn thử (kẻ tấn công)'],
    ['ha-ma-noise-9902', 'Ồn thử (trung thực)'],
  ] as const) {
    const { secret } = await app.registry.create({ ...place, id, kind: 'noise', name });
    if (!attacker) attacker = { id, secret };
    else honest = { id, secret };
  }
});
afterAll(async () => app.close());

describe('a hostile device on the broker', () => {
  it('cannot connect with a guessed secret, and every guess is counted', async () => {
    const before = await counter('mqttAuthFailures', 'bad_secret');
    for (const guess of ['', 'password', 'admin', honest.secret]) {
      await expect(connectDevice(app.mqttUrl, attacker.id, guess)).rejects.toThrow(
        /Bad username or password/i,
      );
    }
    expect(await counter('mqttAuthFailures', 'bad_secret')).toBe(before + 4);
  });

  it("cannot write into another device's stream: refused, kept as a dead letter, never stored", async () => {
    const client = await connectDevice(app.mqttUrl, attacker.id, attacker.secret);
    const before = await counter('deadLetters', 'TOPIC_NOT_ALLOWED');
    for (const channel of ['telemetry', 'status', 'event', 'cmd']) {
      await publish(
        client,
        topic(honest.id, channel),
        JSON.stringify({ metrics: { laeq_db: 120 }, online: false }),
      );
    }
    expect(await counter('deadLetters', 'TOPIC_NOT_ALLOWED')).toBe(before + 4);
    const stored = await app.pool.query('SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1', [
      honest.id,
    ]);
    expect(stored.rows[0].n).toBe(0);
    expect(client.connected).toBe(true);
    client.end(true);
  });

  it('cannot subscribe with wildcards, to $SYS, to the refused topics or to anything but its own cmd', async () => {
    const client = await connectDevice(app.mqttUrl, attacker.id, attacker.secret);
    const before = await counter('mqttAuthFailures', 'subscribe_denied');
    const filters = [
      '#',
      '+/#',
      'ioc/#',
      'ioc/+/+/+/+',
      'ioc/hoi-an/noise/+/telemetry',
      'ioc/hoi-an/noise/+/cmd',
      `ioc/hoi-an/noise/${attacker.id}/+`,
      `ioc/hoi-an/noise/${attacker.id}/#`,
      topic(attacker.id, 'telemetry'),
      topic(honest.id, 'cmd'),
      '$SYS/#',
      '$SYS/broker/clients/connected',
      '$IOC/refused/#',
      '$share/g/ioc/#',
    ];
    for (const filter of filters) expect(await refusedSubscription(client, filter), filter).toBe(128);
    expect(await counter('mqttAuthFailures', 'subscribe_denied')).toBe(before + filters.length);
    expect(await refusedSubscription(client, topic(attacker.id, 'cmd'))).toBe(1);
    client.end(true);
  });

  it('is cut off for publishing with a wildcard in the topic, which MQTT forbids', async () => {
    const client = await connectDevice(app.mqttUrl, attacker.id, attacker.secret);
    const closed = new Promise<void>((ok) => client.once('close', () => ok()));
    // mqtt.js would refuse to send it; write the PUBLISH packet by hand on its stream.
    const name = Buffer.from('ioc/hoi-an/noise/+/telemetry');
    const body = Buffer.from('{}');
    const packet = Buffer.concat([
      Buffer.from([0x30, 2 + name.length + body.length, 0, name.length]),
      name,
      body,
    ]);
    (client as unknown as { stream: { write(b: Buffer): void } }).stream.write(packet);
    await closed;
    client.end(true);
  });

  it('floods garbage without hurting an honest neighbour: every message refused and counted', async () => {
    const flooder = await connectDevice(app.mqttUrl, attacker.id, attacker.secret);
    const neighbour = await connectDevice(app.mqttUrl, honest.id, honest.secret);
    const before = await counter('deadLetters', 'NOT_JSON');
    const flood = Array.from({ length: 3_000 }, (_, i) =>
      publish(flooder, topic(attacker.id, 'telemetry'), `garbage ${i}`, 0),
    );
    const reading = publish(
      neighbour,
      topic(honest.id, 'telemetry'),
      JSON.stringify({ ts: Date.now() - 1_000, metrics: { laeq_db: 61.5 } }),
      1,
    );
    await Promise.all([...flood, reading]);
    const stored = await eventually(
      async () =>
        (await app.pool.query('SELECT value FROM telemetry WHERE device_id = $1', [honest.id])).rows.map(
          (r) => r.value,
        ),
      (values) => values.length === 1,
    );
    expect(stored).toEqual([61.5]);
    // QoS 0 may be dropped under overload, but what arrived is counted, not silently lost.
    const refused = await eventually(
      () => counter('deadLetters', 'NOT_JSON'),
      (n) => n - before >= 3_000,
    );
    expect(refused - before).toBe(3_000);
    const metricsText = await (await fetch(`${app.baseUrl}/metrics`)).text();
    expect(metricsText).toMatch(/ioc_dead_letters_total\{reason="NOT_JSON"\} \d+/);
    flooder.end(true);
    neighbour.end(true);
  });
});
