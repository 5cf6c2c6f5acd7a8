import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let secretA: string;
let secretB: string;
const deviceA = {
  id: 'tn-p3-env-9001',
  kind: 'environment',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.31,
  lon: 106.1,
  pole: null,
  zone: null,
  name: 'Trạm thử A',
} as const;
const deviceB = { ...deviceA, id: 'tn-p3-env-9002', name: 'Trạm thử B' } as const;
const topicOf = (id: string, channel: string) => `ioc/tay-ninh/environment/${id}/${channel}`;

beforeAll(async () => {
  app = await startTestApp();
  secretA = (await app.registry.create(deviceA)).secret;
  secretB = (await app.registry.create(deviceB)).secret;
});
afterAll(async () => app.close());

/**
 * Collects what `client` receives. `before(deviceId)` has the IOC send the device a command and
 * answers, once it arrived, with what came ahead of it: aedes hands a publish to its subscribers
 * before it acknowledges it and writes to each subscriber in order, so a publish acknowledged
 * earlier that had reached the device would be in that list.
 */
function watchMessages(client: MqttClient) {
  const received: string[] = [];
  let marker: { payload: string; arrived: () => void } | undefined;
  const listener = (topic: string, payload: Buffer) => {
    const text = payload.toString();
    if (marker && text === marker.payload) return marker.arrived();
    received.push(`${topic} ${text}`);
  };
  client.on('message', listener);
  return {
    async before(deviceId: string): Promise<string[]> {
      const payload = JSON.stringify({ id: `marker-${Date.now()}`, name: 'ping', args: {} });
      const arrived = new Promise<void>((ok) => {
        marker = { payload, arrived: ok };
      });
      await app.broker.publish(topicOf(deviceId, 'cmd'), payload);
      await arrived;
      client.off('message', listener);
      return received;
    },
  };
}

const failures = async (reason: string) =>
  (await app.metrics.mqttAuthFailures.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

describe('device authentication on the embedded broker', () => {
  it('lets a device in with its own id and secret', async () => {
    const client = await connectDevice(app.mqttUrl, deviceA.id, secretA);
    expect(client.connected).toBe(true);
    client.end(true);
  });

  it('refuses a wrong secret and counts it', async () => {
    const before = await failures('bad_secret');
    await expect(connectDevice(app.mqttUrl, deviceA.id, 'not-the-secret')).rejects.toThrow(
      /Bad username or password/i,
    );
    expect(await failures('bad_secret')).toBe(before + 1);
  });

  it("refuses another device's secret, an unknown device and a client id that is not the username", async () => {
    await expect(connectDevice(app.mqttUrl, deviceA.id, secretB)).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(connectDevice(app.mqttUrl, 'tn-p3-env-0000', secretA)).rejects.toThrow(
      /Bad username or password/i,
    );
    await expect(
      connectDevice(app.mqttUrl, 'someone-else', secretA, { username: deviceA.id }),
    ).rejects.toThrow(/Bad username or password/i);
  });

  it('refuses anonymous clients unless the development switch is on', async () => {
    await expect(connectDevice(app.mqttUrl, 'anonymous-1', undefined)).rejects.toThrow(/Not authorized/i);
  });

  it('stops accepting a secret the moment it is rotated', async () => {
    const fresh = await app.registry.rotateCredentials(deviceB.id);
    await expect(connectDevice(app.mqttUrl, deviceB.id, secretB)).rejects.toThrow(
      /Bad username or password/i,
    );
    const client = await connectDevice(app.mqttUrl, deviceB.id, fresh);
    client.end(true);
    secretB = fresh;
  });
});

describe('topic ACL', () => {
  let a: MqttClient;
  let b: MqttClient;
  beforeAll(async () => {
    a = await connectDevice(app.mqttUrl, deviceA.id, secretA);
    b = await connectDevice(app.mqttUrl, deviceB.id, secretB);
  });
  afterAll(() => {
    a.end(true);
    b.end(true);
  });

  it("refuses a publish on another device's topic, keeps it as a dead letter, and never delivers it", async () => {
    const watched = watchMessages(b);
    const granted = await b.subscribeAsync(topicOf(deviceB.id, 'cmd'), { qos: 1 });
    expect(granted[0]?.qos).toBe(1);
    await publish(a, topicOf(deviceB.id, 'cmd'), JSON.stringify({ name: 'set_lamp', args: { on: false } }));
    await publish(a, topicOf(deviceB.id, 'telemetry'), JSON.stringify({ metrics: { pm25: 10 } }));
    const letters = await eventually(
      async () =>
        (
          await app.pool.query('SELECT reason, topic FROM dead_letters WHERE device_id = $1 ORDER BY id', [
            deviceA.id,
          ])
        ).rows,
      (rows) => rows.length >= 2,
    );
    expect(letters).toEqual([
      { reason: 'TOPIC_NOT_ALLOWED', topic: topicOf(deviceB.id, 'cmd') },
      { reason: 'TOPIC_NOT_ALLOWED', topic: topicOf(deviceB.id, 'telemetry') },
    ]);
    const stored = await app.pool.query('SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1', [
      deviceB.id,
    ]);
    expect(stored.rows[0].n).toBe(0);
    expect(await watched.before(deviceB.id)).toEqual([]);
    // A's own stream goes on: the refusal did not cost it its connection.
    expect(a.connected).toBe(true);
  });

  it("grants a device its own cmd topic only, not another's, nor wildcards or $SYS", async () => {
    const own = await a.subscribeAsync(topicOf(deviceA.id, 'cmd'), { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    for (const topic of [topicOf(deviceB.id, 'cmd'), 'ioc/#', 'ioc/tay-ninh/+/+/telemetry', '$SYS/#', '#']) {
      // SUBACK 0x80 (failure) for that topic; mqtt.js reports it as an error carrying the SUBACK.
      const refusal = await a.subscribeAsync(topic, { qos: 1 }).then(
        () => undefined,
        (error: { packet?: { granted?: number[] } }) => error,
      );
      expect(refusal?.packet?.granted, topic).toEqual([128]);
    }
    expect(a.connected).toBe(true);
  });

  it('does not echo a refused publish back, even on a topic the sender itself subscribes to', async () => {
    const own = topicOf(deviceB.id, 'cmd');
    await b.subscribeAsync(own, { qos: 1 });
    const watched = watchMessages(b);
    await publish(b, own, JSON.stringify({ name: 'set_lamp', args: {} }));
    expect(await watched.before(deviceB.id)).toEqual([]);
  });

  it('cuts a device that writes to $SYS, and keeps the attempt as a dead letter', async () => {
    const intruder = await connectDevice(app.mqttUrl, deviceB.id, secretB);
    const closed = new Promise<void>((ok) => intruder.once('close', () => ok()));
    intruder.publish('$SYS/broker/uptime', 'x', { qos: 1 });
    await closed;
    intruder.end(true);
    const letters = await eventually(
      async () =>
        (await app.pool.query("SELECT reason FROM dead_letters WHERE topic = '$SYS/broker/uptime'")).rows,
      (rows) => rows.length === 1,
    );
    expect(letters).toEqual([{ reason: 'TOPIC_NOT_ALLOWED' }]);
    b = await connectDevice(app.mqttUrl, deviceB.id, secretB);
  });

  it('cuts a device whose topic holds U+0000 (MQTT forbids it), and keeps the attempt escaped as a dead letter', async () => {
    const intruder = await connectDevice(app.mqttUrl, deviceB.id, secretB);
    const closed = new Promise<void>((ok) => intruder.once('close', () => ok()));
    intruder.publish(`${topicOf(deviceB.id, 'telemetry')}\u0000x`, JSON.stringify({ metrics: { pm25: 1 } }), {
      qos: 1,
    });
    await closed;
    intruder.end(true);
    const letters = await eventually(
      async () =>
        (await app.pool.query("SELECT reason, topic FROM dead_letters WHERE topic LIKE '%\\\\u0000x'")).rows,
      (rows) => rows.length === 1,
    );
    expect(letters).toEqual([
      { reason: 'TOPIC_NOT_ALLOWED', topic: `${topicOf(deviceB.id, 'telemetry')}\\u0000x` },
    ]);
    expect(a.connected).toBe(true);
    b = await connectDevice(app.mqttUrl, deviceB.id, secretB);
  });

  it('delivers an IOC command to the device it is for', async () => {
    const got = new Promise<string>((ok) => a.once('message', (_t, payload) => ok(payload.toString())));
    await app.broker.publish(
      topicOf(deviceA.id, 'cmd'),
      JSON.stringify({ id: 'c1', name: 'ping', args: {} }),
    );
    expect(JSON.parse(await got)).toMatchObject({ id: 'c1' });
  });
});

describe('device handles (how the broker names a connected device to ingest)', () => {
  const deviceC = { ...deviceA, id: 'tn-p3-env-9003', name: 'Trạm thử C' } as const;

  it('gives each registered device one number for good, follows its changes, and never reuses it', async () => {
    expect(app.registry.handleOf(deviceC.id)).toBeUndefined();
    await app.registry.create(deviceC);
    const handle = app.registry.handleOf(deviceC.id)!;
    expect(app.registry.handleOf(deviceC.id)).toBe(handle);
    expect(app.registry.handleOf(deviceA.id)).not.toBe(handle);
    expect(app.registry.byHandle(handle)).toMatchObject({
      id: deviceC.id,
      // The row the registry holds, so a change of ward or city below shows in the same handle.
      row: { ward: 'phuong-tan-ninh' },
      telemetryTopic: topicOf(deviceC.id, 'telemetry'),
    });

    await app.registry.update(deviceC.id, { city: 'hoi-an', ward: 'phuong-hoi-an' });
    expect(app.registry.byHandle(handle)?.telemetryTopic).toBe(
      `ioc/hoi-an/environment/${deviceC.id}/telemetry`,
    );

    await app.registry.remove(deviceC.id);
    expect(app.registry.byHandle(handle)).toMatchObject({ id: deviceC.id, row: undefined });
    expect(app.registry.handleOf(deviceC.id)).toBeUndefined();
    await app.registry.create(deviceC);
    expect(app.registry.handleOf(deviceC.id)).toBe(handle);
    expect(app.registry.byHandle(handle)?.row?.city).toBe('tay-ninh');
    await app.registry.remove(deviceC.id);
  });

  it("refuses a connected device's old topic once it is moved, and takes its new one", async () => {
    const moved = { ...deviceA, id: 'tn-p3-env-9004', name: 'Trạm thử D' } as const;
    const { secret } = await app.registry.create(moved);
    const client = await connectDevice(app.mqttUrl, moved.id, secret);
    try {
      await publish(client, topicOf(moved.id, 'telemetry'), JSON.stringify({ metrics: { pm25: 21 } }));
      await app.registry.update(moved.id, { city: 'hoi-an', ward: 'phuong-hoi-an' });
      await publish(client, topicOf(moved.id, 'telemetry'), JSON.stringify({ metrics: { pm25: 22 } }));
      await publish(
        client,
        `ioc/hoi-an/environment/${moved.id}/telemetry`,
        JSON.stringify({ metrics: { pm25: 23 } }),
      );
      const stored = await app.pool.query('SELECT value FROM telemetry WHERE device_id = $1 ORDER BY value', [
        moved.id,
      ]);
      expect(stored.rows).toEqual([{ value: 21 }, { value: 23 }]);
      const letters = await eventually(
        async () =>
          (await app.pool.query('SELECT reason, message FROM dead_letters WHERE device_id = $1', [moved.id]))
            .rows,
        (rows) => rows.length > 0,
      );
      expect(letters).toEqual([
        {
          reason: 'TOPIC_NOT_ALLOWED',
          message: `device ${moved.id} is registered as hoi-an/environment; publish under ioc/hoi-an/environment/${moved.id}/`,
        },
      ]);
    } finally {
      client.end(true);
    }
  });

  it('refuses as from an unknown device what a deleted device still sends through a broker that keeps it connected', async () => {
    // The embedded broker closes a deleted device's connection (tests/broker/revoked.test.ts); a broker
    // of the city's that only asks the IOC at connection time keeps it and passes its messages on.
    const gone = { ...deviceA, id: 'tn-p3-env-9005', name: 'Trạm thử E' } as const;
    await app.registry.create(gone);
    await app.registry.remove(gone.id);
    await app.ingest.accept({
      topic: topicOf(gone.id, 'telemetry'),
      payload: Buffer.from(JSON.stringify({ metrics: { pm25: 30 } })),
      receivedAt: new Date(),
      senderId: gone.id,
    });
    const letters = await eventually(
      async () =>
        (await app.pool.query('SELECT reason FROM dead_letters WHERE device_id = $1', [gone.id])).rows,
      (rows) => rows.length > 0,
    );
    expect(letters).toEqual([{ reason: 'UNKNOWN_DEVICE' }]);
  });
});

describe('development switch', () => {
  it('lets an anonymous client publish for a registered device only when MQTT_ALLOW_ANONYMOUS is on', async () => {
    const dev = await startTestApp({ MQTT_ALLOW_ANONYMOUS: 'true' });
    try {
      await dev.registry.create(deviceA);
      const client = await connectDevice(dev.mqttUrl, 'bench-tool', undefined);
      await publish(client, topicOf(deviceA.id, 'telemetry'), JSON.stringify({ metrics: { pm25: 12 } }));
      const rows = await eventually(
        async () =>
          (await dev.pool.query('SELECT value FROM telemetry WHERE device_id = $1', [deviceA.id])).rows,
        (r) => r.length === 1,
      );
      expect(rows).toEqual([{ value: 12 }]);
      client.end(true);
    } finally {
      await dev.close();
    }
  });
});
