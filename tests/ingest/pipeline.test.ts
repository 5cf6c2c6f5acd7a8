import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingEvent } from '../../src/events/bus.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let client: MqttClient;
let secret: string;
const device = {
  id: 'ha-ma-env-9001',
  kind: 'environment',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.328,
  pole: null,
  zone: null,
  name: 'Trạm Phố cổ',
} as const;
const topic = (channel: string) => `ioc/hoi-an/environment/${device.id}/${channel}`;
const count = async (sql: string, params: unknown[] = [device.id]) =>
  (await app.pool.query(sql, params)).rows[0].n as number;
const stored = () => count('SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1');
const deadLetters = () =>
  app.pool.query('SELECT reason, message, topic, payload_bytes FROM dead_letters ORDER BY id');

beforeAll(async () => {
  // Fixed timestamps from November 2026 stay acceptable whatever the date the suite runs on.
  app = await startTestApp({ MQTT_MAX_PAYLOAD_BYTES: '2048', INGEST_MAX_AGE_DAYS: '3650' });
  secret = (await app.registry.create(device)).secret;
  client = await connectDevice(app.mqttUrl, device.id, secret);
});
afterAll(async () => {
  client.end(true);
  await app.close();
});

describe('ingest from MQTT to PostgreSQL', () => {
  it('stores a reading, one value per metric, and shows it as the latest value once the writer flushes latest values', async () => {
    await publish(
      client,
      topic('telemetry'),
      JSON.stringify({ ts: '2026-11-22T10:00:00Z', seq: 1, metrics: { pm25: 41.2, temp_c: 31.5 } }),
    );
    // QoS 1 is acknowledged only once stored: no waiting needed after the PUBACK.
    const { rows } = await app.pool.query(
      'SELECT metric, value, time FROM telemetry WHERE device_id = $1 ORDER BY metric',
      [device.id],
    );
    expect(rows).toEqual([
      { metric: 'pm25', value: 41.2, time: new Date('2026-11-22T10:00:00Z') },
      { metric: 'temp_c', value: 31.5, time: new Date('2026-11-22T10:00:00Z') },
    ]);
    // Latest values are upserted from memory every INGEST_LATEST_FLUSH_MS (src/ingest/latestValues.ts), not per batch.
    const latest = await eventually(
      () =>
        app.pool.query('SELECT metric, value FROM device_latest WHERE device_id = $1 ORDER BY metric', [
          device.id,
        ]),
      (result) => result.rows.length === 2,
    );
    expect(latest.rows).toEqual([
      { metric: 'pm25', value: 41.2 },
      { metric: 'temp_c', value: 31.5 },
    ]);
  });

  it('stores a resent QoS 1 reading once', async () => {
    const before = await stored();
    const message = JSON.stringify({ ts: '2026-11-22T10:01:00Z', seq: 2, metrics: { pm25: 40 } });
    await publish(client, topic('telemetry'), message);
    await publish(client, topic('telemetry'), message);
    expect(await stored()).toBe(before + 1);
    const duplicates = (await app.metrics.rowsDuplicate.get()).values[0]?.value;
    expect(duplicates).toBeGreaterThanOrEqual(1);
  });

  it('stores a redelivery with the DUP flag after a reconnect once (same device, ts, metric)', async () => {
    const before = await stored();
    const raw = mqtt.connect(app.mqttUrl, {
      clientId: device.id,
      username: device.id,
      password: secret,
      reconnectPeriod: 0,
      clean: false,
    });
    await new Promise((ok) => raw.once('connect', ok));
    const payload = JSON.stringify({ ts: '2026-11-22T10:02:00Z', seq: 3, metrics: { pm25: 39 } });
    // What a device's stack does when a PUBACK was lost: the same packet id again, dup set.
    await new Promise<void>((ok, fail) =>
      raw.publish(topic('telemetry'), payload, { qos: 1, dup: true }, (e) => (e ? fail(e) : ok())),
    );
    await new Promise<void>((ok, fail) =>
      raw.publish(topic('telemetry'), payload, { qos: 1, dup: true }, (e) => (e ? fail(e) : ok())),
    );
    raw.end(true);
    expect(await stored()).toBe(before + 1);
    // The reconnect with the same client id took over the session of the suite's client.
    client = await connectDevice(app.mqttUrl, device.id, secret);
  });

  it('stores a backlog array at each reading own time, flagged late on the bus', async () => {
    const seen: ReadingEvent[] = [];
    const listener = (event: ReadingEvent) => seen.push(event);
    app.bus.on('reading', listener);
    const hourAgo = Date.now() - 3_600_000;
    const backlog = [0, 1, 2].map((i) => ({
      ts: hourAgo + i * 60_000,
      seq: 100 + i,
      metrics: { pm25: 20 + i },
    }));
    await publish(client, topic('telemetry'), JSON.stringify(backlog));
    app.bus.off('reading', listener);
    const { rows } = await app.pool.query(
      'SELECT time, value FROM telemetry WHERE device_id = $1 AND time >= $2 ORDER BY time',
      [device.id, new Date(hourAgo)],
    );
    expect(rows.map((r) => r.value)).toEqual([20, 21, 22]);
    expect(rows.map((r) => r.time.getTime())).toEqual(backlog.map((b) => b.ts));
    expect(seen.map((e) => e.late)).toEqual([true, true, true]);
  });

  it('keeps every kind of bad payload as a dead letter with its reason, and loses none of the good readings around it', async () => {
    const before = await stored();
    const bad: Array<[string, string | Buffer, string]> = [
      [topic('telemetry'), '{"metrics": {"pm25": 4', 'NOT_JSON'],
      [topic('telemetry'), Buffer.from([0xff, 0xfe, 0x00, 0x01]), 'NOT_JSON'],
      [topic('telemetry'), JSON.stringify({ metrics: { pm25: 'forty' } }), 'VALIDATION_FAILED'],
      [topic('telemetry'), JSON.stringify({ metrics: { laeq_db: 60 } }), 'UNKNOWN_METRIC'],
      [topic('telemetry'), JSON.stringify({ metrics: { pm25: -5 } }), 'OUT_OF_RANGE'],
      [
        topic('telemetry'),
        JSON.stringify({ ts: Date.now() + 3_600_000, metrics: { pm25: 5 } }),
        'TS_IN_FUTURE',
      ],
      [
        topic('telemetry'),
        JSON.stringify({ ts: '2001-01-01T00:00:00Z', metrics: { pm25: 5 } }),
        'TS_TOO_OLD',
      ],
      [
        topic('telemetry'),
        JSON.stringify({ metrics: { pm25: 1 }, pad: 'x'.repeat(4000) }),
        'PAYLOAD_TOO_LARGE',
      ],
      [topic('status'), JSON.stringify({ battery_pct: 80 }), 'VALIDATION_FAILED'],
      [topic('event'), JSON.stringify({ data: {} }), 'VALIDATION_FAILED'],
      [topic('event'), JSON.stringify({ type: 'tamper', data: { note: 'a\u0000b' } }), 'VALIDATION_FAILED'],
      [topic('diagnostics'), JSON.stringify({ metrics: { pm25: 1 } }), 'UNKNOWN_TOPIC'],
      [
        `ioc/tay-ninh/environment/${device.id}/telemetry`,
        JSON.stringify({ metrics: { pm25: 1 } }),
        'TOPIC_NOT_ALLOWED',
      ],
      ['weather/now', '{}', 'UNKNOWN_TOPIC'],
    ];
    const good = (i: number) => JSON.stringify({ ts: Date.now() - 1000 + i, metrics: { pm25: 50 + i } });
    const lettersBefore = (await deadLetters()).rows.length;
    let i = 0;
    for (const [t, payload] of bad) {
      await publish(client, topic('telemetry'), good(i++));
      await publish(client, t, payload);
    }
    await publish(client, topic('telemetry'), good(i++));
    expect(await stored()).toBe(before + bad.length + 1);
    const letters = await eventually(deadLetters, (r) => r.rows.length >= lettersBefore + bad.length);
    expect(letters.rows.slice(lettersBefore).map((r) => r.reason)).toEqual(bad.map(([, , reason]) => reason));
    const tooLarge = letters.rows.find((r) => r.reason === 'PAYLOAD_TOO_LARGE');
    expect(tooLarge?.message).toMatch(/limit is 2048/);
    expect(tooLarge?.payload_bytes).toBeGreaterThan(4000);
    const counted = (await app.metrics.deadLetters.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(counted).toBeGreaterThanOrEqual(bad.length);
    expect(client.connected).toBe(true);
    // The API tells the operator whose fault each one is and what to do, in both languages.
    const listed = await app.request(
      'GET',
      `/api/v1/dead-letters?deviceId=${device.id}&reason=OUT_OF_RANGE`,
      await app.loginAs('operator'),
    );
    expect(listed.status).toBe(200);
    expect(listed.body.items[0]).toMatchObject({
      reason: 'OUT_OF_RANGE',
      fault: 'device',
      description: { vi: expect.stringContaining('cảm biến'), en: expect.stringContaining('sensor') },
    });
  });

  it('loses nothing of a QoS 0 burst from a device that hangs up right after it', async () => {
    // A slow database (long batching delay) keeps the broker behind the socket when the device leaves.
    const slow = await startTestApp({ INGEST_FLUSH_MS: '300' });
    try {
      const { secret: burstSecret } = await slow.registry.create(device);
      const burst = await connectDevice(slow.mqttUrl, device.id, burstSecret);
      const base = Date.now() - 7_200_000;
      for (let i = 0; i < 5_000; i++) {
        burst.publish(
          topic('telemetry'),
          JSON.stringify({ ts: base + i, metrics: { pm25: 5, temp_c: 30 } }),
          { qos: 0 },
        );
      }
      await burst.endAsync(); // DISCONNECT right behind the last PUBLISH
      const messages = await eventually(
        async () =>
          (await slow.pool.query("SELECT count(*)::int AS n FROM telemetry WHERE metric = 'pm25'")).rows[0].n,
        (n) => n === 5_000,
        15_000,
      );
      expect(messages).toBe(5_000);
    } finally {
      await slow.close();
    }
  });

  it('records status, the last will and events', async () => {
    await publish(
      client,
      topic('status'),
      JSON.stringify({ online: true, battery_pct: 88, rssi_dbm: -71, fw: '1.4.2' }),
    );
    let row = (await app.pool.query('SELECT online, status FROM devices WHERE id = $1', [device.id])).rows[0];
    expect(row).toEqual({ online: true, status: { battery_pct: 88, rssi_dbm: -71, fw: '1.4.2' } });

    await publish(client, topic('event'), JSON.stringify({ type: 'tamper', data: { door: 'open' } }));
    const events = await app.pool.query('SELECT type, data FROM device_events WHERE device_id = $1', [
      device.id,
    ]);
    expect(events.rows).toEqual([{ type: 'tamper', data: { door: 'open' } }]);

    const willing = await connectDevice(app.mqttUrl, device.id, secret, {
      will: { topic: topic('status'), payload: Buffer.from('{"online": false}'), qos: 1, retain: true },
    });
    willing.stream.destroy(); // the link drops without a DISCONNECT: the broker publishes the will
    row = await eventually(
      async () => (await app.pool.query('SELECT online FROM devices WHERE id = $1', [device.id])).rows[0],
      (r) => r.online === false,
    );
    expect(row.online).toBe(false);
    const change = await app.pool.query(
      'SELECT online, last_will FROM device_status_changes WHERE device_id = $1 ORDER BY time DESC LIMIT 1',
      [device.id],
    );
    expect(change.rows[0]).toEqual({ online: false, last_will: true });
    client = await connectDevice(app.mqttUrl, device.id, secret);
  });

  it('says a message is taken (checked, writes queued) before it is stored, and never says so of a refused one', async () => {
    const message = (body: unknown, channel = 'telemetry') => ({
      topic: topic(channel),
      payload: Buffer.from(JSON.stringify(body)),
      receivedAt: new Date(),
      senderId: device.id,
    });
    const ts = Date.parse('2026-11-22T11:00:00Z');
    const byHandle = { senderHandle: app.registry.handleOf(device.id) };
    const cases = [
      message({ ts, metrics: { pm25: 11 } }),
      { ...message({ ts: ts + 1, metrics: { pm25: 12 } }), ...byHandle },
      message({ ts: ts + 2, online: true }, 'status'),
      message({ ts: ts + 3, type: 'door_open' }, 'event'),
    ];
    for (const inbound of cases) {
      const steps: string[] = [];
      const result = app.ingest.accept(inbound, () => steps.push('taken'));
      steps.push('returned');
      steps.push(`stored: ${await result}`);
      expect(steps).toEqual(['taken', 'returned', 'stored: true']);
    }
    for (const refused of [
      message({ metrics: { pm25: 'high' } }),
      { ...message({ metrics: {} }), ...byHandle },
      message({ online: 'yes' }, 'status'),
      { ...message({ ts, metrics: { pm25: 13 } }), topic: topic('cmd') },
    ]) {
      const steps: string[] = [];
      expect(await app.ingest.accept(refused, () => steps.push('taken'))).toBe(false);
      expect(steps).toEqual([]);
    }
  });

  it('does not say a message is taken while a full queue holds its writes back', async () => {
    // 100 rows of room, and a batching delay far longer than the burst takes to arrive.
    const full = await startTestApp({ INGEST_QUEUE_LIMIT: '100', INGEST_FLUSH_MS: '1000' });
    try {
      await full.registry.create(device);
      const ts = Date.parse('2026-11-22T12:00:00Z');
      const taken: boolean[] = [];
      const results = Array.from({ length: 60 }, (_, i) => {
        let said = false;
        const result = full.ingest.accept(
          {
            topic: topic('telemetry'),
            payload: Buffer.from(JSON.stringify({ ts: ts + i, metrics: { pm25: i, temp_c: 30 } })),
            receivedAt: new Date(),
            senderId: device.id,
            qos: 0,
          },
          () => {
            said = true;
          },
        );
        taken.push(said);
        return result;
      });
      // 49 messages of 2 rows leave room; the 50th fills the queue, and the ten after it wait.
      expect(taken.indexOf(false)).toBe(49);
      expect(taken.slice(49).every((t) => !t)).toBe(true);
      await full.writer.drain();
      expect(await Promise.all(results)).toEqual(Array(60).fill(true));
    } finally {
      await full.close();
    }
  });

  it('skips the batching delay for a fire alarm', async () => {
    const fire = { ...device, id: 'ha-ma-fire-9001', kind: 'fire', name: 'Cảm biến cháy thử' } as const;
    const slow = await startTestApp({ INGEST_FLUSH_MS: '5000' });
    try {
      const { secret: fireSecret } = await slow.registry.create(fire);
      const sensor = await connectDevice(slow.mqttUrl, fire.id, fireSecret);
      const started = Date.now();
      // QoS 1 returns once stored: with a 5 s batching delay, only the fast path returns this soon.
      await publish(
        sensor,
        `ioc/hoi-an/fire/${fire.id}/telemetry`,
        JSON.stringify({ metrics: { alarm: 1, smoke_pct: 12 } }),
      );
      expect(Date.now() - started).toBeLessThan(2_500);
      sensor.end(true);
    } finally {
      await slow.close();
    }
  });

  it("stamps the device's last-seen time within seconds of hearing from it", async () => {
    const heard = new Date();
    await publish(client, topic('telemetry'), JSON.stringify({ metrics: { pm25: 12 } }));
    // Stamped every 5 s in chunks, each a turn on the background lane (src/storage/backgroundLane.ts).
    const { rows } = await eventually(
      () =>
        app.pool.query<{ last_seen: Date | null }>('SELECT last_seen FROM devices WHERE id = $1', [
          device.id,
        ]),
      (r) => (r.rows[0]?.last_seen?.getTime() ?? 0) >= heard.getTime(),
      12_000,
    );
    expect(rows[0]!.last_seen!.getTime()).toBeLessThanOrEqual(Date.now());
  });
});
