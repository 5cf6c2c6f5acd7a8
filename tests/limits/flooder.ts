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
