// The publishing side of measure-ingest, in its own process: one MQTT connection per device, each
// keeping a bounded number of messages in flight, 4 metrics per message. With `rate` the fleet offers
// that many messages per second in all; without it, as many as the system takes.

import mqtt from 'mqtt';

const { url, credentials, seconds, qos, rate, stampNow } = await new Promise<{
  url: string;
  credentials: Array<{ id: string; secret: string }>;
  seconds: number;
  qos: 0 | 1;
  rate: number | undefined;
  /** Stamp each reading with the publish time (for latency measurements) instead of a past time. */
  stampNow?: boolean;
}>((ok) => process.once('message', (m) => ok(m as never)));
const inflightPerDevice = 16;
let messages = 0;
let acked = 0;
const clients = await Promise.all(
  credentials.map(
    (c) =>
      new Promise<mqtt.MqttClient>((ok, fail) => {
        const client = mqtt.connect(url, {
          clientId: c.id,
          username: c.id,
          password: c.secret,
          reconnectPeriod: 0,
        });
        client.once('connect', () => ok(client));
        client.once('error', fail);
      }),
  ),
);
const startedAt = Date.now();
const endAt = startedAt + seconds * 1000;
await Promise.all(
  clients.map((client, index) => {
    const topic = `ioc/tay-ninh/environment/${credentials[index]!.id}/telemetry`;
    let inflight = 0;
    let seq = 0;
    let lastTs = 0;
    return new Promise<void>((done) => {
      const pump = () => {
        // QoS 0 has no acknowledgement to wait for: respect the socket's back-pressure instead, as a
        // device's network stack would, rather than piling messages up in this process.
        if (qos === 0 && client.stream.writableNeedDrain) {
          client.stream.once('drain', pump);
          return;
        }
        // The messages this device may have sent by now at the offered rate.
        const allowed = rate
          ? ((Date.now() - startedAt) / 1000) * (rate / clients.length)
          : Number.POSITIVE_INFINITY;
        if (seq >= allowed && Date.now() < endAt) {
          setTimeout(pump, 5);
          return;
        }
        while (Date.now() < endAt && inflight < inflightPerDevice && seq < allowed) {
          seq++;
          // Distinct ts per message, so every one is a new reading; or the publish time itself.
          lastTs = stampNow ? Math.max(Date.now(), lastTs + 1) : startedAt - 60_000 + seq;
          const ts = lastTs;
          const payload = `{"ts":${ts},"seq":${seq},"metrics":{"pm25":${20 + (seq % 30)},"pm10":${40 + (seq % 50)},"temp_c":31.5,"humidity_pct":70}}`;
          inflight++;
          messages++;
          client.publish(topic, payload, { qos }, () => {
            inflight--;
            acked++;
            setImmediate(pump);
          });
        }
        if (Date.now() >= endAt && inflight === 0) done();
        else if (Date.now() >= endAt) setTimeout(pump, 10);
      };
      pump();
    });
  }),
);
const endedAt = Date.now();
await Promise.all(clients.map((c) => c.endAsync()));
process.send!({ messages, acked, startedAt, endedAt });
