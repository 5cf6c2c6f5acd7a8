// Every example of the published contract is accepted by a running IOC: a device of each kind, registered
// through the API, publishes each example the document lists for it over a real MQTT connection with its
// own credentials, and each is stored (never dead-lettered). Commands go the other way: the IOC's `cmd`
// matches the document's schema, and the documented `cmd_result` completes it. The IOC serves the
// document and its page next to /docs.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KindName, kindNames } from '../../src/catalog/schema.ts';
import type { AsyncApiDocument, Message, Reference } from '../../src/contract/document.ts';
import { createContract } from '../../src/contract/index.ts';
import { commandSchema } from '../../src/contract/schemas.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let document: AsyncApiDocument;
const devices = new Map<KindName, { id: string; city: string; secret: string; client: MqttClient }>();

const resolve = <T>(reference: Reference): T => {
  let node: unknown = document;
  for (const part of reference.$ref.replace(/^#\//, '').split('/')) node = (node as any)[part];
  return (node as { $ref?: string }).$ref ? resolve<T>(node as Reference) : (node as T);
};

/** A channel address with the device's parameters filled in. */
const topicOf = (address: string, kind: KindName) => {
  const device = devices.get(kind)!;
  return address.replace('{city}', device.city).replace('{kind}', kind).replace('{deviceId}', device.id);
};

const count = async (sql: string, params: unknown[]) =>
  (await app.pool.query(sql, params)).rows[0].n as number;

/** Whether what the device published is in the tables ingest writes, at the payload's own times. */
async function stored(channel: string, deviceId: string, payload: any, publishedAt: Date): Promise<boolean> {
  if (channel === 'telemetry') {
    const readings = Array.isArray(payload) ? payload : [payload];
    for (const reading of readings) {
      const rows = await count(
        'SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1 AND time = $2',
        [deviceId, new Date(reading.ts)],
      );
      if (rows !== Object.keys(reading.metrics).length) return false;
    }
    return true;
  }
  if (channel === 'status') {
    const since = payload.ts === undefined ? new Date(publishedAt.getTime() - 1_000) : new Date(payload.ts);
    const until = payload.ts === undefined ? new Date(Date.now() + 1_000) : new Date(payload.ts);
    const rows = await count(
      `SELECT count(*)::int AS n FROM device_status_changes
       WHERE device_id = $1 AND online = $2 AND time BETWEEN $3 AND $4`,
      [deviceId, payload.online, since, until],
    );
    return rows === 1;
  }
  if (channel === 'event') {
    const rows = await count(
      'SELECT count(*)::int AS n FROM device_events WHERE device_id = $1 AND type = $2 AND time = $3',
      [deviceId, payload.type, new Date(payload.ts)],
    );
    return rows === 1;
  }
  throw new Error(`no storage check for channel ${channel}`);
}

beforeAll(async () => {
  // The examples are dated December 2026: a long maximum age keeps them acceptable whenever this runs.
  app = await startTestApp({ INGEST_MAX_AGE_DAYS: '3650' });
  admin = await app.login();
  document = createContract(app.catalog).document();
  const cities = document.components.parameters.city!.enum!;
  for (const [i, kind] of kindNames.entries()) {
    const city = cities[i % cities.length]!;
    const id = `ct-${kind}-0001`;
    const ward = app.catalog.wardIds(city)[0]!;
    const registered = await app.request('POST', '/api/v1/devices', admin, {
      id,
      kind,
      city,
      ward,
      lat: 11.3,
      lon: 106.1,
      name: `Contract ${kind}`,
    });
    expect(registered.status).toBe(201);
    const { username, secret, topicPrefix } = registered.body.credentials;
    // The prefix registration hands out is the document's address with the parameters filled in.
    const address = document.channels[`telemetry${kind.charAt(0).toUpperCase()}${kind.slice(1)}`]!.address;
    devices.set(kind, { id, city, secret, client: undefined as unknown as MqttClient });
    expect(`${topicPrefix}telemetry`).toBe(topicOf(address, kind));
    const client = await connectDevice(app.mqttUrl, username, secret);
    devices.get(kind)!.client = client;
  }
});

afterAll(async () => {
  for (const device of devices.values()) device.client?.end(true);
  await app?.close();
});

describe('the examples of the published MQTT contract, sent to a running IOC', () => {
  it('stores every example a device publishes, from each kind, and dead-letters none', async () => {
    let published = 0;
    for (const operation of Object.values(document.operations)) {
      if (operation.action !== 'receive') continue;
      const channel = resolve<{ address: string }>(operation.channel);
      const name = channel.address.split('/').at(-1)!;
      const channelKind = kindNames.find((k) => channel.address.startsWith(`ioc/{city}/${k}/`));
      for (const reference of operation.messages) {
        const message = resolve<Message>(reference);
        for (const example of message.examples) {
          // Examples of a shared channel are named by their kind; one named otherwise fits every kind.
          const named = kindNames.find((k) => k === example.name);
          const kinds = channelKind ? [channelKind] : named ? [named] : kindNames;
          for (const kind of kinds) {
            const device = devices.get(kind)!;
            const publishedAt = new Date();
            await publish(
              device.client,
              topicOf(channel.address, kind),
              JSON.stringify(example.payload),
              operation.bindings.mqtt.qos as 0 | 1,
            );
            published++;
            const ok = await eventually(
              () => stored(name, device.id, example.payload, publishedAt),
              (v) => v,
            );
            expect(ok, `${message.name} example ${example.name} from the ${kind}`).toBe(true);
          }
        }
      }
    }
    expect(published).toBeGreaterThanOrEqual(kindNames.length * 5);
    const refused = await app.pool.query('SELECT topic, reason, message FROM dead_letters');
    expect(refused.rows).toEqual([]);
  });

  it("sends each kind's example command as the document describes it, and the documented answer completes it", async () => {
    const results = resolve<Message>({ $ref: '#/components/messages/commandResult' }).examples;
    for (const operation of Object.values(document.operations)) {
      if (operation.action !== 'send') continue;
      const channel = resolve<{ address: string }>(operation.channel);
      const kind = kindNames.find((k) => channel.address.startsWith(`ioc/{city}/${k}/`))!;
      const device = devices.get(kind)!;
      const topic = topicOf(channel.address, kind);
      await device.client.subscribeAsync(topic, { qos: operation.bindings.mqtt.qos as 0 | 1 });
      const example = resolve<Message>(operation.messages[0]!).examples[0]!.payload as any;
      const arrived = new Promise<{ topic: string; payload: string }>((ok) =>
        device.client.once('message', (t, payload) => ok({ topic: t, payload: payload.toString() })),
      );
      const sent = await app.request('POST', `/api/v1/devices/${device.id}/commands`, admin, {
        name: example.name,
        args: example.args,
      });
      expect(sent.status).toBe(202);
      const received = await arrived;
      expect(received.topic).toBe(topic);
      const command = commandSchema(kind).parse(JSON.parse(received.payload));
      expect({ name: command.name, args: command.args }).toEqual({ name: example.name, args: example.args });
      expect(command.id).toBe(sent.body.id);

      // The documented answer, with the id of this command instead of the example's.
      const answer = results.find((r) => r.name === kind)!.payload as any;
      await publish(
        device.client,
        topicOf(document.channels.event!.address, kind),
        JSON.stringify({ ...answer, id: command.id, ts: new Date().toISOString() }),
      );
      const state = await eventually(
        async () =>
          (await app.request('GET', `/api/v1/devices/${device.id}/commands/${command.id}`, admin)).body.state,
        (s) => s === 'succeeded',
      );
      expect(state, `${kind} ${example.name}`).toBe('succeeded');
    }
  });

  it('records the last will the servers describe when a device drops without a goodbye', async () => {
    const will = document.servers.mqtt!.bindings.mqtt.lastWill as {
      topic: string;
      qos: 0 | 1;
      message: string;
      retain: boolean;
    };
    for (const kind of kindNames) {
      const device = devices.get(kind)!;
      device.client.end(true);
      const willing = await connectDevice(app.mqttUrl, device.id, device.secret, {
        will: {
          topic: topicOf(will.topic, kind),
          payload: Buffer.from(will.message),
          qos: will.qos,
          retain: will.retain,
        },
      });
      device.client = willing;
      willing.stream.destroy(); // the link drops without a DISCONNECT: the broker publishes the will
    }
    for (const kind of kindNames) {
      const lastWills = await eventually(
        () =>
          count(
            'SELECT count(*)::int AS n FROM device_status_changes WHERE device_id = $1 AND last_will AND NOT online',
            [devices.get(kind)!.id],
          ),
        (n) => n === 1,
      );
      expect(lastWills, kind).toBe(1);
    }
  });

  it('serves the document as committed and its page, without scripts and under the console policy', async () => {
    const json = await fetch(`${app.baseUrl}/docs/asyncapi.json`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await json.text()).toBe(createContract(app.catalog).json());

    const page = await fetch(`${app.baseUrl}/docs/mqtt`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).not.toMatch(/<script|<link|<iframe|\bsrc=|https?:\/\//i);
    expect(html).toContain('<a href="asyncapi.json">');
    for (const channel of Object.values(document.channels)) expect(html).toContain(channel.address);
    for (const kind of kindNames)
      for (const [name, metric] of Object.entries(app.catalog.kind(kind).metrics)) {
        expect(html).toContain(`<code>metrics.${name}</code>`);
        if (metric.unit) expect(html).toContain(metric.unit);
      }
  });
});
