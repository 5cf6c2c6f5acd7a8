// A device that publishes QoS 1 as fast as it may: it keeps `window` messages unacknowledged at all
// times (firmware's in-flight window; mqtt.js itself would queue without end), sending the next the
// moment a PUBACK comes. It notes when each acknowledgement came, so a test reads the acknowledged rate.
import type { MqttClient } from 'mqtt';

export interface Flood {
  /** Stops sending; resolves once every message sent is acknowledged (or `timeoutMs` passed). */
  stop(timeoutMs?: number): Promise<void>;
  sent(): number;
  /** The times (ms) of the acknowledgements so far. */
  acks(): readonly number[];
  outstanding(): number;
}

export function floodQos1(
  client: MqttClient,
  topic: string,
  options: { window: number; base: number },
): Flood {
  const ackTimes: number[] = [];
  let sent = 0;
  let stopped = false;
  let settled: (() => void) | undefined;
  const send = () => {
    if (stopped) return;
    const i = sent++;
    client.publish(
      topic,
      JSON.stringify({ ts: options.base + i, metrics: { pm25: 5 } }),
      { qos: 1 },
      (error) => {
        if (error) return;
        ackTimes.push(Date.now());
        if (stopped && ackTimes.length === sent) settled?.();
        send();
      },
    );
  };
  for (let i = 0; i < options.window; i++) send();
  return {
    async stop(timeoutMs = 30_000) {
      stopped = true;
      if (ackTimes.length === sent) return;
      await Promise.race([
        new Promise<void>((ok) => {
          settled = ok;
        }),
        new Promise((ok) => setTimeout(ok, timeoutMs)),
      ]);
    },
    sent: () => sent,
    acks: () => ackTimes,
    outstanding: () => sent - ackTimes.length,
  };
}

/** Acknowledgements per second between `from` and `to` (ms). */
export function ackRate(acks: readonly number[], from: number, to: number): number {
  return acks.filter((t) => t >= from && t < to).length / ((to - from) / 1000);
}

/** An air station in Tân Ninh ward (Tây Ninh), as the flood tests and the flood measurement register it. */
export const floodStation = (id: string) => ({
  id,
  kind: 'environment' as const,
  city: 'tay-ninh' as const,
  ward: 'phuong-tan-ninh',
  lat: 11.3,
  lon: 106.1,
  name: id,
  pole: null,
  zone: null,
});

export const floodTopic = (id: string) => `ioc/tay-ninh/environment/${id}/telemetry`;

/** One value of the app's Prometheus metrics (the first series of that name), NaN when absent. */
export async function metricValue(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  return Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm'))?.[1] ?? Number.NaN);
}

/** How many PM2.5 readings of a device are stored. */
export async function storedPm25(
  pool: { query<R>(sql: string, params: unknown[]): Promise<{ rows: R[] }> },
  id: string,
): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1 AND metric = 'pm25'",
    [id],
  );
  return rows[0]!.n;
}
