// The telemetry message a device of a profile must send, as an example a vendor or an installer can
// copy: its topic and a payload whose every metric is one the profile accepts. A shipped kind keeps
// the hand-written values of the published contract (src/contract/examples.ts); any other metric gets a
// plausible value inside its range, so the example is never refused as a sensor fault.
import { kindNames, type MetricDefinition, type SeededKind } from '../catalog/schema.ts';
import { kindExamples } from '../contract/examples.ts';
import { deviceTopic } from '../ingest/topics.ts';

export interface TelemetryExample {
  /** The topic pattern, with {city} and {deviceId} left for the device's own. */
  topic: string;
  payload: { ts: string; seq: number; metrics: Record<string, number> };
}

const isSeeded = (id: string): id is SeededKind => (kindNames as readonly string[]).includes(id);

/** A value the metric accepts: a flag says 1, a counter its lower end, anything else the middle. */
function plausible(metric: MetricDefinition, written: number | undefined): number {
  const low = Math.min(metric.min, metric.max);
  const high = Math.max(metric.min, metric.max);
  if (written !== undefined && written >= low && written <= high) return written;
  if (metric.type === 'flag') return 1;
  if (metric.cumulative) return low;
  const middle = (low + high) / 2;
  // Two decimals at most, like a sensor reports; rounding never leaves the range.
  const rounded = Math.round(middle * 100) / 100;
  return Math.min(high, Math.max(low, rounded));
}

/** Vietnam time with its offset, as the contract's examples write a timestamp. */
function vietnamTime(now: Date): string {
  return new Date(now.getTime() + 7 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+07:00');
}

export function telemetryExample(
  profile: { id: string; metrics: Record<string, MetricDefinition> },
  now = new Date(),
): TelemetryExample {
  const written: Record<string, number> = isSeeded(profile.id)
    ? kindExamples[profile.id].telemetry.metrics
    : {};
  const metrics = Object.fromEntries(
    Object.entries(profile.metrics).map(([name, m]) => [name, plausible(m, written[name])]),
  );
  return {
    topic: deviceTopic({ city: '{city}', kind: profile.id, id: '{deviceId}' }, 'telemetry'),
    payload: { ts: vietnamTime(now), seq: 1, metrics },
  };
}
