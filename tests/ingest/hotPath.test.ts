import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cityIds, kindNames } from '../../src/catalog/schema.ts';
import { inboundChannels, isUrgentTopic, parseTopic } from '../../src/ingest/topics.ts';
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
    for (const bad of ['ioc/hoi-an/environment//telemetry', 'ioc/Huế/environment/x/telemetry', 'a/b']) {
      expect(parseTopic(bad)).toBeUndefined();
      expect(parseTopic(bad)).toBeUndefined();
    }
  });

  it("tells a fire sensor's or an event's topic as urgent exactly as the parsed topic says", () => {
    const segment = fc.stringMatching(/^[a-z0-9-]{0,12}$/);
    const part = (known: readonly string[]) => fc.oneof(fc.constantFrom(...known), segment);
    fc.assert(
      fc.property(
        part(['ioc']),
        part(cityIds),
        part(kindNames),
        segment,
        part([...inboundChannels, 'cmd']),
        (root, city, kind, id, channel) => {
          const topic = `${root}/${city}/${kind}/${id}/${channel}`;
          const parsed = parseTopic(topic);
          // A device topic: exactly the parse's answer. Anything else is refused by ingest either way.
          if (parsed) expect(isUrgentTopic(topic)).toBe(parsed.kind === 'fire' || parsed.channel === 'event');
        },
      ),
      { numRuns: 2_000 },
    );
    expect(isUrgentTopic('ioc/hoi-an/fire/ha-mh-fire-0001/telemetry')).toBe(true);
    expect(isUrgentTopic('ioc/tay-ninh/streetlight/tn-sl-0001/event')).toBe(true);
    expect(isUrgentTopic('ioc/tay-ninh/environment/fire/telemetry')).toBe(false);
    expect(isUrgentTopic('ioc/hoi-an/firefly/x/telemetry')).toBe(false);
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
