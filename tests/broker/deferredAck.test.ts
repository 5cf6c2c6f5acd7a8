// The deferred PUBACK of external-broker mode (src/broker/deferredAck.ts) against a real Mosquitto:
// it rests on internals of the pinned mqtt.js, and these tests are what fail when a new version
// changes them (docs/decisions/0019-library-internals.md).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acknowledgeWhenTaken } from '../../src/broker/deferredAck.ts';
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.ts';
import { eventually } from '../helpers/mqtt.ts';
import { servicePaths } from '../helpers/services.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const account = { username: 'deferred-ack', password: 'deferred-ack-password' };
let mosquitto: TestMosquitto;

beforeAll(async () => {
  mosquitto = await startMosquitto();
  const { mosquittoCtrl } = await servicePaths();
  const { username, password } = mosquitto.admin;
  const ctrl = (...args: string[]) =>
    run(mosquittoCtrl, [
      '-h',
      '127.0.0.1',
      '-p',
      String(mosquitto.port),
      '-u',
      username,
      '-P',
      password,
      'dynsec',
      ...args,
    ]);
  await ctrl('createClient', account.username, '-p', account.password);
  await ctrl('createRole', 'deferred-ack');
  await ctrl('addRoleACL', 'deferred-ack', 'publishClientSend', 'deferred/#', 'allow');
  await ctrl('addRoleACL', 'deferred-ack', 'subscribePattern', 'deferred/#', 'allow');
  await ctrl('addClientRole', account.username, 'deferred-ack');
});
afterAll(async () => mosquitto?.stop());

/** A client as the IOC's ingest connects: MQTT 5, a session that outlives the connection. */
function connect(clientId: string, options: IClientOptions = {}): MqttClient {
  return mqtt.connect(mosquitto.url, {
    clientId,
    ...account,
    protocolVersion: 5,
    clean: false,
    properties: { sessionExpiryInterval: 300 },
    reconnectPeriod: 0,
    ...options,
  });
}
const connected = (client: MqttClient) =>
  new Promise<void>((ok, fail) => {
    client.once('connect', () => ok());
    client.once('error', fail);
  });

interface Taken {
  payload: string;
  dup: boolean;
  answer: (acknowledge: boolean) => void;
}

/** Takes messages as ingest would, answering when the test says; notes every PUBACK sent. */
function holdMessages(client: MqttClient) {
  const taken: Taken[] = [];
  const pubacks: number[] = [];
  acknowledgeWhenTaken(
    client,
    (packet) =>
      new Promise<boolean>((answer) =>
        taken.push({ payload: packet.payload.toString(), dup: packet.dup, answer }),
      ),
  );
  client.on('packetsend', (packet) => {
    if (packet.cmd === 'puback') pubacks.push(packet.messageId!);
  });
  return { taken, pubacks };
}

describe('a QoS 1 PUBACK sent once the message is taken (mqtt.js internals, real Mosquitto)', () => {
  it('runs on the exact mqtt.js version these internals were checked on', async () => {
    const ours = JSON.parse(await readFile(new URL('package.json', root), 'utf8'));
    const installed = JSON.parse(await readFile(new URL('node_modules/mqtt/package.json', root), 'utf8'));
    expect(ours.dependencies.mqtt).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.version).toBe(ours.dependencies.mqtt);
  });

  it('reads on while messages wait, and acknowledges each only when it is taken', async () => {
    const topic = 'deferred/read-on';
    const subscriber = connect('deferred-ack-read-on');
    const { taken, pubacks } = holdMessages(subscriber);
    const publisher = connect('deferred-ack-publisher-1', { clean: true, properties: {} });
    try {
      await Promise.all([connected(subscriber), connected(publisher)]);
      await subscriber.subscribeAsync(topic, { qos: 1 });
      for (const text of ['one', 'two', 'three']) await publisher.publishAsync(topic, text, { qos: 1 });
      // All three reach ingest while none is acknowledged: mqtt.js read past each without a PUBACK.
      await eventually(
        async () => taken.length,
        (n) => n === 3,
      );
      expect(taken.map((t) => t.payload)).toEqual(['one', 'two', 'three']);
      expect(pubacks).toEqual([]);
      taken[1]!.answer(true);
      taken[2]!.answer(true);
      taken[0]!.answer(false);
      expect(
        await eventually(
          async () => pubacks.length,
          (n) => n >= 2,
        ),
      ).toBe(2);
      // The broker's view: the session redelivers what was not acknowledged, and only that, ahead
      // of a message published after the reconnection.
      await subscriber.endAsync();
      const again = connect('deferred-ack-read-on');
      const delivered: string[] = [];
      again.on('message', (_topic, payload) => delivered.push(payload.toString()));
      try {
        await connected(again);
        await publisher.publishAsync(topic, 'after', { qos: 1 });
        await eventually(
          async () => delivered,
          (d) => d.includes('after'),
        );
        expect(delivered).toEqual(['one', 'after']);
      } finally {
        again.end(true);
      }
    } finally {
      subscriber.end(true);
      publisher.end(true);
    }
  });

  it('never acknowledges on a new connection what came on the old one', async () => {
    const topic = 'deferred/reconnect';
    const subscriber = connect('deferred-ack-reconnect', { reconnectPeriod: 100 });
    const { taken, pubacks } = holdMessages(subscriber);
    const publisher = connect('deferred-ack-publisher-2', { clean: true, properties: {} });
    try {
      await Promise.all([connected(subscriber), connected(publisher)]);
      await subscriber.subscribeAsync(topic, { qos: 1 });
      await publisher.publishAsync(topic, 'four', { qos: 1 });
      await eventually(
        async () => taken.length,
        (n) => n === 1,
      );
      subscriber.stream.destroy(); // the connection drops with the message unacknowledged
      // The broker resends it on the new connection, under the same id.
      await eventually(
        async () => taken.length,
        (n) => n === 2,
      );
      expect(taken.map((t) => [t.payload, t.dup])).toEqual([
        ['four', false],
        ['four', true],
      ]);
      // Answered in this order, the old connection's answer is settled first: had it sent a PUBACK,
      // it would be there by the time the new one's is.
      taken[0]!.answer(true);
      taken[1]!.answer(true);
      expect(
        await eventually(
          async () => pubacks.length,
          (n) => n >= 1,
        ),
      ).toBe(1);
    } finally {
      subscriber.end(true);
      publisher.end(true);
    }
  });
});
