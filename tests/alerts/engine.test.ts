// The alert engine over real MQTT and PostgreSQL: what opens, what does not, what clears.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEvent } from '../../src/events/bus.ts';
import { localMidnight } from '../../src/standards/time.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
const base = {
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.8772,
  lon: 108.3281,
  pole: null,
  zone: null,
} as const;
const fire = { ...base, id: 'ha-ma-fire-9101', kind: 'fire', name: 'Cảm biến khói – Trần Phú 45' } as const;
const noise = { ...base, id: 'ha-ma-noise-9101', kind: 'noise', name: 'Tiếng ồn – Bạch Đằng' } as const;
const bin = { ...base, id: 'ha-ma-waste-9101', kind: 'waste', name: 'Thùng rác – Lê Lợi' } as const;
const station = {
  ...base,
  id: 'ha-ma-env-9101',
  kind: 'environment',
  name: 'Trạm môi trường – Chùa Cầu',
} as const;
const lamp = { ...base, id: 'ha-ma-sl-9101', kind: 'streetlight', name: 'Đèn – Nguyễn Thái Học 12' } as const;
const clients: MqttClient[] = [];
const secrets = new Map<string, string>();
const events: AlertEvent[] = [];

async function device(d: { id: string; kind: string }) {
  const client = await connectDevice(app.mqttUrl, d.id, secrets.get(d.id)!);
  clients.push(client);
  return {
    client,
    send: (metrics: Record<string, number>, ts: number | string = Date.now()) =>
      publish(client, `ioc/hoi-an/${d.kind}/${d.id}/telemetry`, JSON.stringify({ ts, metrics })),
  };
}
const alertsOf = async (deviceId: string) => {
  await app.alerts.engine.settled();
  return (
    await app.pool.query(
      `SELECT a.id::int, r.default_key AS key, a.state, a.severity, a.count, a.message_vi, a.message_en
       FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.device_id = $1 ORDER BY a.id`,
      [deviceId],
    )
  ).rows;
};

beforeAll(async () => {
  // Readings up to a day old count as live here, so tests can lay out a timeline in the past.
  // Readings up to two days old still count as live here (the lighting test uses the last night).
  app = await startTestApp({ INGEST_LATE_AFTER_S: '172800' });
  admin = await app.login();
  for (const d of [fire, noise, bin, station, lamp]) secrets.set(d.id, (await app.registry.create(d)).secret);
  app.bus.on('alert', (e) => events.push(e));
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await app.close();
});

describe('fire', () => {
  it('opens a critical alert from a smoke alarm at once, in Vietnamese and English', async () => {
    const sensor = await device(fire);
    await sensor.send({ smoke_pct: 0.2, temp_c: 29, alarm: 0 });
    expect(await alertsOf(fire.id)).toEqual([]);
    await sensor.send({ smoke_pct: 14, temp_c: 31, alarm: 1, flame: 1 });
    const alerts = await eventually(
      () => alertsOf(fire.id),
      (a) => a.length >= 3,
    );
    expect(alerts.map((a) => [a.key, a.state, a.severity])).toEqual(
      expect.arrayContaining([
        ['fire-alarm', 'open', 'critical'],
        ['fire-flame', 'open', 'critical'],
      ]),
    );
    const alarm = alerts.find((a) => a.key === 'fire-alarm')!;
    expect(alarm.message_vi).toBe('Báo cháy tại Cảm biến khói – Trần Phú 45 (Phường Hội An)');
    expect(alarm.message_en).toBe('Fire alarm at Cảm biến khói – Trần Phú 45 (Phường Hội An)');
    expect(events.some((e) => e.action === 'opened' && e.alert.id === alarm.id)).toBe(true);
  });

  it('names a device as it is now, not as it was when the engine first saw it', async () => {
    const moved = { ...fire, id: 'ha-ma-fire-9102', name: 'Cảm biến khói – kho cũ' } as const;
    secrets.set(moved.id, (await app.registry.create(moved)).secret);
    const sensor = await device(moved);
    await sensor.send({ alarm: 0 });
    await app.registry.update(moved.id, {
      name: 'Cảm biến khói – Hội quán Phúc Kiến',
      ward: 'phuong-hoi-an-dong',
    });
    await sensor.send({ alarm: 1 });
    const [alarm] = await eventually(
      async () => (await alertsOf(moved.id)).filter((a) => a.key === 'fire-alarm'),
      (a) => a.length === 1,
    );
    expect(alarm.message_vi).toBe('Báo cháy tại Cảm biến khói – Hội quán Phúc Kiến (Phường Hội An Đông)');
  });

  it('counts a repeated alarm on the same alert instead of opening another', async () => {
    const sensor = await device(fire);
    await sensor.send({ alarm: 1 });
    await sensor.send({ alarm: 1 });
    const alarms = (await alertsOf(fire.id)).filter((a) => a.key === 'fire-alarm');
    expect(alarms).toHaveLength(1);
  });

  it('opens a rate-of-rise alert when the temperature climbs 8 °C within a minute', async () => {
    const sensor = await device(fire);
    const t0 = Date.now() - 60_000;
    await sensor.send({ temp_c: 30 }, t0);
    await sensor.send({ temp_c: 33 }, t0 + 20_000);
    expect((await alertsOf(fire.id)).some((a) => a.key === 'fire-heat-rise')).toBe(false);
    await sensor.send({ temp_c: 39 }, t0 + 40_000);
    expect((await alertsOf(fire.id)).find((a) => a.key === 'fire-heat-rise')?.state).toBe('open');
  });
});

describe('thresholds', () => {
  it('opens nothing while the condition holds for less than for_s, then opens once it has', async () => {
    // A rule of our own: LAeq above 70 dBA for 5 minutes, clearing below 65.
    const rule = await app.request('POST', '/api/v1/rules', admin, {
      name: 'Loud street',
      type: 'threshold',
      metric: 'laeq_db',
      comparison: '>',
      threshold: 70,
      clearValue: 65,
      forS: 300,
      severity: 'warning',
      deviceId: noise.id,
      messageVi: 'Ồn {value} dBA tại {name}',
      messageEn: 'Loud {value} dBA at {name}',
    });
    expect(rule.status).toBe(201);
    const sensor = await device(noise);
    const t0 = Date.now() - 3_600_000;
    for (const minute of [0, 1, 2, 3, 4]) await sensor.send({ laeq_db: 75 }, t0 + minute * 60_000);
    expect(await alertsOf(noise.id)).toEqual([]); // 4 minutes: not yet
    await sensor.send({ laeq_db: 76 }, t0 + 5 * 60_000);
    const [alert] = await alertsOf(noise.id);
    expect(alert).toMatchObject({
      state: 'open',
      severity: 'warning',
      message_vi: 'Ồn 76 dBA tại Tiếng ồn – Bạch Đằng',
    });
  });

  it('does not flap on a noisy signal around the threshold (hysteresis), and resolves past the clear value', async () => {
    const sensor = await device(noise);
    const t0 = Date.now() - 3_000_000;
    const noisy = [69, 72, 68, 71, 66, 70.5, 67];
    for (const [i, v] of noisy.entries()) await sensor.send({ laeq_db: v }, t0 + i * 60_000);
    let alerts = await alertsOf(noise.id);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].state).toBe('open');
    await sensor.send({ laeq_db: 64 }, t0 + 10 * 60_000);
    alerts = await alertsOf(noise.id);
    expect(alerts.map((a) => a.state)).toEqual(['resolved']);
    const history = await app.request('GET', `/api/v1/alerts/${alerts[0].id}`, admin);
    expect(history.body.history.map((h: any) => [h.action, h.actor])).toEqual([
      ['opened', 'system'],
      ['resolved', 'system'],
    ]);
  });

  it('raises a waste bin needing collection as info, and overflow as a warning', async () => {
    const sensor = await device(bin);
    await sensor.send({ fill_pct: 85 });
    await sensor.send({ fill_pct: 100 });
    const alerts = await alertsOf(bin.id);
    expect(alerts.map((a) => [a.key, a.severity])).toEqual([
      ['waste-full', 'info'],
      ['waste-overflow', 'warning'],
    ]);
    expect(alerts[0].message_vi).toBe('Thùng rác đầy 85% cần thu gom tại Thùng rác – Lê Lợi (Phường Hội An)');
  });

  it('stores a late backlog but does not alert on it as if it were live', async () => {
    const quiet = await startTestApp({ INGEST_LATE_AFTER_S: '300' });
    try {
      const { secret } = await quiet.registry.create(fire);
      const sensor = await connectDevice(quiet.mqttUrl, fire.id, secret);
      const hourAgo = Date.now() - 3_600_000;
      await publish(
        sensor,
        `ioc/hoi-an/fire/${fire.id}/telemetry`,
        JSON.stringify([{ ts: hourAgo, metrics: { alarm: 1 } }]),
      );
      sensor.end(true);
      await quiet.alerts.engine.settled();
      const stored = await quiet.pool.query('SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1', [
        fire.id,
      ]);
      expect(stored.rows[0].n).toBe(1);
      expect((await quiet.pool.query('SELECT count(*)::int AS n FROM alerts')).rows[0].n).toBe(0);
    } finally {
      await quiet.close();
    }
  });
});

describe('air quality and lighting', () => {
  it('opens an AQI alert when the hourly VN_AQI reaches Xấu (bad), naming the dominant pollutant', async () => {
    const sensor = await device(station);
    const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 4 * 3_600_000;
    // Two hours of PM2.5 at 120 µg/m³: NowCast 120 → (200 − 150)/(150 − 80)·(120 − 80) + 150 = 178.6 → 179.
    // The first hour alone gives no AQI (NowCast needs two of the last three hours).
    for (let h = 0; h < 2; h++) {
      for (const m of [5, 25, 45]) {
        await sensor.send({ pm25: 120, pm10: 150, no2: 40 }, hourStart + h * 3_600_000 + m * 60_000);
      }
    }
    expect((await alertsOf(station.id)).some((a) => a.key === 'aqi-bad')).toBe(false);
    await sensor.send({ pm25: 118 }, hourStart + 2 * 3_600_000 + 60_000); // completes the second hour
    const alert = (await alertsOf(station.id)).find((a) => a.key === 'aqi-bad');
    expect(alert).toMatchObject({ state: 'open', severity: 'warning' });
    expect(alert.message_vi).toBe('Chỉ số AQI Xấu (179) tại Phường Hội An, chất ô nhiễm chính PM25');
    expect(alert.message_en).toBe('AQI Bad (179) in Phường Hội An, dominant pollutant PM25');
    // The console's device state carries the hourly AQI in its category colour.
    expect(app.live.state.get(station.id)?.aqi).toMatchObject({
      value: 179,
      band: 4,
      vi: 'Xấu',
      en: 'Bad',
      colour: '#ff0000',
      dominant: 'pm25',
    });
  });

  it('opens a streetlight alert when the lamp stays dark at night, not by day', async () => {
    const sensor = await device(lamp);
    // The latest 22:00 in Hội An that is safely past, and noon of that day: recent enough to be live.
    let night = localMidnight(new Date()).getTime() + 22 * 3_600_000;
    if (night > Date.now() - 15 * 60_000) night -= 86_400_000;
    const day = night - 10 * 3_600_000;
    for (const m of [0, 5, 10, 11]) await sensor.send({ lamp_on: 0, power_w: 0.4 }, day + m * 60_000);
    expect((await alertsOf(lamp.id)).some((a) => a.key === 'streetlight-dark')).toBe(false);
    for (const m of [0, 5, 10, 11]) await sensor.send({ lamp_on: 0, power_w: 0.4 }, night + m * 60_000);
    expect((await alertsOf(lamp.id)).find((a) => a.key === 'streetlight-dark')?.state).toBe('open');
    await sensor.send({ lamp_on: 1, power_w: 96 }, night + 12 * 60_000);
    expect((await alertsOf(lamp.id)).find((a) => a.key === 'streetlight-dark')?.state).toBe('resolved');
  });
});

describe('device health', () => {
  it('opens an offline alert after 3 silent reporting intervals, and resolves it when the device reports again', async () => {
    const sensor = await device(bin);
    await sensor.send({ fill_pct: 10 });
    const now = Date.now();
    await app.alerts.engine.sweep(new Date(now + 2 * 300_000)); // waste reports every 300 s
    expect((await alertsOf(bin.id)).some((a) => a.key === 'device-offline')).toBe(false);
    await app.alerts.engine.sweep(new Date(now + 3 * 300_000 + 5_000));
    const offline = (await alertsOf(bin.id)).find((a) => a.key === 'device-offline');
    expect(offline).toMatchObject({ state: 'open', severity: 'warning' });
    expect(offline.message_vi).toMatch(
      /^Thiết bị Thùng rác – Lê Lợi \(Phường Hội An\) mất tín hiệu từ \d\d:\d\d \d\d\/\d\d$/,
    );
    await sensor.send({ fill_pct: 11 });
    expect((await alertsOf(bin.id)).find((a) => a.key === 'device-offline')?.state).toBe('resolved');
  });

  it('opens an alert on the last will and resolves it when the device is back', async () => {
    const secret = secrets.get(bin.id)!;
    const dropping = await connectDevice(app.mqttUrl, bin.id, secret, {
      will: {
        topic: `ioc/hoi-an/waste/${bin.id}/status`,
        payload: Buffer.from('{"online":false}'),
        qos: 1,
        retain: true,
      },
    });
    dropping.stream.destroy();
    await eventually(
      async () => (await app.pool.query('SELECT online FROM devices WHERE id = $1', [bin.id])).rows[0].online,
      (online) => online === false,
    );
    // Gone for less than the rule's 60 s grace: nothing yet. Still gone after it: an alert.
    await app.alerts.engine.sweep(new Date(Date.now() + 30_000));
    expect((await alertsOf(bin.id)).some((a) => a.key === 'device-last-will')).toBe(false);
    await app.alerts.engine.sweep(new Date(Date.now() + 61_000));
    const lost = (await alertsOf(bin.id)).find((a) => a.key === 'device-last-will');
    expect(lost.state).toBe('open');
    expect(lost.message_en).toBe('Device Thùng rác – Lê Lợi (Phường Hội An) lost its connection');
    const back = await connectDevice(app.mqttUrl, bin.id, secret);
    clients.push(back);
    await publish(back, `ioc/hoi-an/waste/${bin.id}/status`, JSON.stringify({ online: true }));
    expect((await alertsOf(bin.id)).find((a) => a.key === 'device-last-will')?.state).toBe('resolved');
  });

  it('opens a critical alert on a tamper event', async () => {
    const sensor = await device(bin);
    await publish(
      sensor.client,
      `ioc/hoi-an/waste/${bin.id}/event`,
      JSON.stringify({ type: 'tamper', data: { lid: 'forced' } }),
    );
    expect((await alertsOf(bin.id)).find((a) => a.key === 'event-tamper')).toMatchObject({
      state: 'open',
      severity: 'critical',
    });
  });
});
