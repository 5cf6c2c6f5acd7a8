// One device flooding QoS 1 as fast as it can while 200 neighbours publish at a field device's pace:
// how many of the flooder's messages were acknowledged and how many stored, and the neighbours'
// publish→PUBACK times meanwhile. Runs the IOC in this process on a fresh database (scripts/measured-app.ts)
// with the production per-device limit (INGEST_DEVICE_RATE_PER_S=20). Numbers: docs/performance.md.
//   npm run measure:flood -- [--seconds 4] [--neighbours 200]
import mqtt, { type MqttClient } from 'mqtt';
import { parseCommandLine } from '../src/cli/commandLine.ts';
import { floodStation, floodTopic } from '../tests/limits/flooder.ts';
import { startMeasuredApp } from './measured-app.ts';

const { values } = parseCommandLine(
  'measure:flood',
  `Đo một thiết bị gửi dồn dập / Measure a flooding device

One device floods QoS 1 while its neighbours publish at a field device's pace: how many of its messages
were acknowledged and stored, and the neighbours' publish → PUBACK times.

Usage: npm run measure:flood -- [options]
  --seconds <s>      how long the flood lasts (default: 4)
  --neighbours <n>   devices publishing beside it at one reading a second (default: 200)
  -h, --help         this text

Example
  npm run measure:flood -- --seconds 10`,
  {
    options: {
      seconds: { type: 'string', default: '4' },
      neighbours: { type: 'string', default: '200' },
    },
  },
);
const floodMs = Number(values.seconds) * 1000;
const neighbourCount = Number(values.neighbours);

function connect(url: string, id: string, secret: string): Promise<MqttClient> {
  const client = mqtt.connect(url, { clientId: id, username: id, password: secret, reconnectPeriod: 0 });
  client.on('error', () => {});
  return new Promise((ok, fail) => {
    client.once('connect', () => ok(client));
    client.once('error', fail);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

const measured = await startMeasuredApp('flood', { INGEST_DEVICE_RATE_PER_S: '20' });
const { app } = measured;
try {
  const url = `mqtt://127.0.0.1:${app.mqttPort}`;
  const floodId = 'tn-flood-env-1';
  const { secret: floodSecret } = await app.registry.create(floodStation(floodId));
  const neighbours: Array<{ id: string; client: MqttClient }> = [];
  for (let i = 0; i < neighbourCount; i++) {
    const id = `tn-near-env-${i}`;
    const { secret } = await app.registry.create(floodStation(id));
    neighbours.push({ id, client: await connect(url, id, secret) });
  }
  const flooder = await connect(url, floodId, floodSecret);
  const base = Date.now() - 3_600_000;

  // Neighbours: one reading a second each, spread over the second, each timed to its PUBACK.
  const latencies: number[] = [];
  let neighboursOn = true;
  const timers = neighbours.map(({ id, client }, n) => {
    let seq = 0;
    const send = () => {
      if (!neighboursOn) return;
      const at = performance.now();
      client.publish(
        floodTopic(id),
        JSON.stringify({ ts: base + seq++ * 1000, metrics: { pm25: 12 } }),
        { qos: 1 },
        (e) => {
          if (!e) latencies.push(performance.now() - at);
        },
      );
    };
    return setTimeout(
      () => {
        send();
        timers[n] = setInterval(send, 1000);
      },
      (1000 * n) / neighbours.length,
    );
  });

  // The flooder: as fast as mqtt.js takes messages, in slices so the timers above still run.
  let sent = 0;
  let acked = 0;
  const floodUntil = Date.now() + floodMs;
  await new Promise<void>((done) => {
    const slice = () => {
      if (Date.now() >= floodUntil) return done();
      for (let i = 0; i < 500; i++) {
        flooder.publish(
          floodTopic(floodId),
          JSON.stringify({ ts: base + sent++, metrics: { pm25: 5 } }),
          { qos: 1 },
          (e) => {
            if (!e) acked++;
          },
        );
      }
      setImmediate(slice);
    };
    slice();
  });
  neighboursOn = false;
  for (const timer of timers) clearInterval(timer);
  // What the device was told it delivered, at the moment it stops (its power cut, say).
  const ackedAtEnd = acked;
  flooder.end(true);
  await new Promise((r) => setTimeout(r, 2_000)); // the neighbours' last PUBACKs
  for (const { client } of neighbours) client.end(true);
  await app.writer.drain();
  const stored = (
    await app.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM telemetry WHERE device_id = $1 AND metric = 'pm25'",
      [floodId],
    )
  ).rows[0]!.n;
  const sorted = latencies.sort((a, b) => a - b);
  console.log(
    JSON.stringify(
      {
        floodSeconds: floodMs / 1000,
        flooder: {
          sent,
          acknowledged: ackedAtEnd,
          stored,
          acknowledgedButNotStored: Math.max(0, ackedAtEnd - stored),
        },
        neighbours: {
          count: neighbourCount,
          answered: sorted.length,
          p50Ms: Math.round(percentile(sorted, 0.5)),
          p99Ms: Math.round(percentile(sorted, 0.99)),
        },
      },
      null,
      2,
    ),
  );
} finally {
  await measured.close();
}
process.exit(0);
