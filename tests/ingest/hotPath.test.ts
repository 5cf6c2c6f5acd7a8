import { describe, expect, it } from 'vitest';
import { parseTopic } from '../../src/ingest/topics.ts';
import { createMetrics } from '../../src/metrics/index.ts';

describe('per-message shortcuts', () => {
  it('reads a topic the same the first time and from the cache, refused ones included', () => {
    const topic = 'ioc/hoi-an/environment/ha-ma-env-0001/telemetry';
    const first = parseTopic(topic);
    expect(first).toEqual({
      city: 'hoi-an',
      kind: 'environment',
      deviceId: 'ha-ma-env-0001',
      channel: 'telemetry',
    });
    expect(parseTopic(`${topic}`)).toEqual(first);
    for (const bad of ['ioc/hoi-an/environment//telemetry', 'ioc/hue/environment/x/telemetry', 'a/b']) {
      expect(parseTopic(bad)).toBeUndefined();
      expect(parseTopic(bad)).toBeUndefined();
    }
  });

  it('hands hot-path counts to prom-client whenever the counter is read', async () => {
    const metrics = createMetrics();
    metrics.mqttMessagesTally.add('telemetry');
    metrics.mqttMessagesTally.add('telemetry');
    metrics.mqttMessagesTally.add('status');
    metrics.readingsAcceptedTally.add('', 3);
    const text = await metrics.registry.metrics();
    expect(text).toContain('ioc_mqtt_messages_total{channel="telemetry"} 2');
    expect(text).toContain('ioc_mqtt_messages_total{channel="status"} 1');
    expect(text).toContain('ioc_ingest_readings_total 3');
    metrics.readingsAcceptedTally.add('', 2);
    expect((await metrics.readingsAccepted.get()).values[0]?.value).toBe(5);
  });
});
