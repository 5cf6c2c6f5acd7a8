// A steady QoS 1 load from several devices (mqtt.js, each device its own connection and credentials),
// keeping exactly which readings were acknowledged (PUBACK): every reading has its own (device, ts).
import type { MqttClient } from 'mqtt';
import type pg from 'pg';
import { connectDevice } from './mqtt.ts';

export interface LoadDevice {
  id: string;
  secret: string;
  city?: string;
  kind?: string;
}

export interface Qos1Load {
  sent(): number;
  acked(): Array<{ deviceId: string; ts: number }>;
  /** Stops publishing; the connections are left as they are (the process may be gone). */
  stop(): void;
  close(): void;
}

export async function startQos1Load(
  url: string,
  devices: LoadDevice[],
  options: { perDevicePerSecond: number; base: number; qos?: 0 | 1 },
): Promise<Qos1Load> {
  const clients: Array<{ device: LoadDevice; client: MqttClient; seq: number }> = [];
  for (const device of devices) {
    const client = await connectDevice(url, device.id, device.secret);
    client.on('error', () => {});
    clients.push({ device, client, seq: 0 });
  }
  let sent = 0;
  const acked: Array<{ deviceId: string; ts: number }> = [];
  // Steady: every 20 ms, each device sends what is due since the start.
  const started = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * options.perDevicePerSecond);
    for (const c of clients) {
      if (!c.client.connected) continue;
      while (c.seq < due) {
        const ts = options.base + c.seq++ * 10;
        sent++;
        c.client.publish(
          `ioc/${c.device.city ?? 'tay-ninh'}/${c.device.kind ?? 'environment'}/${c.device.id}/telemetry`,
          JSON.stringify({ ts, metrics: { pm25: 10 + (ts % 50), temp_c: 30 } }),
          { qos: options.qos ?? 1 },
          (error) => {
            if (!error) acked.push({ deviceId: c.device.id, ts });
          },
        );
      }
    }
  }, 20);
  return {
    sent: () => sent,
    acked: () => acked,
    stop: () => clearInterval(timer),
    close() {
      clearInterval(timer);
      for (const c of clients) c.client.end(true);
    },
  };
}

/** Acknowledged readings missing from telemetry (metric pm25): the lost ones. */
export async function lostReadings(
  db: pg.Client,
  acked: Array<{ deviceId: string; ts: number }>,
): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM unnest($1::text[], $2::bigint[]) AS a(d, ms)
     WHERE NOT EXISTS (SELECT 1 FROM telemetry t WHERE t.device_id = a.d AND t.metric = 'pm25'
                       AND t.time = 'epoch'::timestamptz + a.ms * interval '1 millisecond')`,
    [acked.map((a) => a.deviceId), acked.map((a) => a.ts)],
  );
  return rows[0]!.n;
}
