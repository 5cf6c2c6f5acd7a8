// A device over its message rate on the embedded broker is slowed down, not acknowledged and dropped:
// its QoS 1 messages wait their turn (their PUBACK with them, its connection unread meanwhile), so it
// is acknowledged at the configured rate and every acknowledged message is stored; its QoS 0 excess is
// dropped and counted. Its neighbour is answered as before. Real MQTT clients, real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';
import { ackRate, floodQos1, floodStation, floodTopic, metricValue, storedPm25 } from '../limits/flooder.ts';

const rate = 20;
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ INGEST_DEVICE_RATE_PER_S: String(rate), INGEST_DEVICE_BURST: String(rate) });
});
afterAll(async () => {
  await app?.close();
});

describe('a device over its rate on the embedded broker', () => {
  it('is acknowledged at its rate (±10 %), and every acknowledged QoS 1 message is stored; its neighbour keeps its latency', {
    timeout: 90_000,
  }, async () => {
    const { secret: floodSecret } = await app.registry.create(floodStation('tn-throttle-env-1'));
    const { secret: calmSecret } = await app.registry.create(floodStation('tn-throttle-env-2'));
    const flooder = await connectDevice(app.mqttUrl, 'tn-throttle-env-1', floodSecret);
    const calm = await connectDevice(app.mqttUrl, 'tn-throttle-env-2', calmSecret);
    const base = Date.now() - 3_600_000;
    const started = Date.now();
    const flood = floodQos1(flooder, floodTopic('tn-throttle-env-1'), { window: 40, base });
    // The neighbour: one reading every 100 ms, each timed from publish to PUBACK.
    const latencies: number[] = [];
    let calmRunning = true;
    const calmLoop = (async () => {
      for (let i = 0; calmRunning; i++) {
        const at = Date.now();
        await publish(
          calm,
          floodTopic('tn-throttle-env-2'),
          JSON.stringify({ ts: base + i, metrics: { pm25: 7 } }),
        );
        latencies.push(Date.now() - at);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    // Past the burst's second, for several seconds.
    const until = started + 8_000;
    await eventually(
      async () => Date.now(),
      (now) => now >= until,
      10_000,
    );
    const measured = ackRate(flood.acks(), started + 2_000, until);
    await flood.stop();
    calmRunning = false;
    await calmLoop;
    const acked = flood.acks().length;
    const stored = await storedPm25(app.pool, 'tn-throttle-env-1');
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.floor(sorted.length * 0.99)]!;
    console.info(
      `[throttle] flooder: sent ${flood.sent()}, acknowledged ${acked}, stored ${stored}, acknowledged rate ${measured.toFixed(1)}/s (limit ${rate}/s); neighbour p50 ${sorted[Math.floor(sorted.length / 2)]} ms, p99 ${p99} ms over ${sorted.length}`,
    );
    expect(flood.outstanding()).toBe(0);
    expect(measured).toBeGreaterThanOrEqual(rate * 0.9);
    expect(measured).toBeLessThanOrEqual(rate * 1.1);
    expect(stored).toBe(acked);
    expect(await metricValue(app.baseUrl, 'ioc_ingest_throttled_total')).toBeGreaterThan(0);
    // Nothing of the flooder was refused: no RATE_LIMITED dead letter.
    const letters = await app.pool.query(
      "SELECT 1 FROM dead_letters WHERE device_id = 'tn-throttle-env-1' AND reason = 'RATE_LIMITED'",
    );
    expect(letters.rowCount).toBe(0);
    expect(latencies.length).toBeGreaterThan(30);
    expect(p99).toBeLessThan(1_000);
    expect(await storedPm25(app.pool, 'tn-throttle-env-2')).toBe(latencies.length);
    flooder.end(true);
    calm.end(true);
  });

  it('drops and counts its QoS 0 excess (a sampled RATE_LIMITED dead letter), storing the rest', {
    timeout: 60_000,
  }, async () => {
    const { secret } = await app.registry.create(floodStation('tn-throttle-env-3'));
    const device = await connectDevice(app.mqttUrl, 'tn-throttle-env-3', secret);
    const refusedBefore = (await metricValue(app.baseUrl, 'ioc_ingest_rate_limited_total')) || 0;
    const base = Date.now() - 3_600_000;
    const sent = 2_000;
    for (let i = 0; i < sent; i++)
      await publish(
        device,
        floodTopic('tn-throttle-env-3'),
        JSON.stringify({ ts: base + i, metrics: { pm25: 5 } }),
        0,
      );
    // Every message ends stored or counted as dropped; the writer may still be on its way.
    const { refused, stored } = await eventually(
      async () => ({
        refused: ((await metricValue(app.baseUrl, 'ioc_ingest_rate_limited_total')) || 0) - refusedBefore,
        stored: await storedPm25(app.pool, 'tn-throttle-env-3'),
      }),
      (seen) => seen.refused + seen.stored === sent,
      20_000,
    );
    const letters = await eventually(
      async () =>
        (
          await app.pool.query(
            "SELECT 1 FROM dead_letters WHERE device_id = 'tn-throttle-env-3' AND reason = 'RATE_LIMITED'",
          )
        ).rowCount ?? 0,
      (n) => n >= 1,
      10_000,
    );
    console.info(
      `[throttle] QoS 0: sent ${sent}, stored ${stored}, dropped ${refused}, dead letters ${letters}`,
    );
    expect(stored + refused).toBe(sent);
    expect(refused).toBeGreaterThan(sent / 2);
    expect(letters).toBeLessThanOrEqual(3);
    device.end(true);
  });
});
