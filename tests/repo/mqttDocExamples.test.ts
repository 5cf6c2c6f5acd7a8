// The examples a vendor copies from docs/mqtt.md are the ones ingest accepts: each ```json block marked
// `<!-- example: ... -->` goes through the same parsers and catalog as a message from the field, and
// an example marked `refused CODE` is refused with exactly that code.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.ts';
import { type KindName, kindNames } from '../../src/catalog/schema.ts';
import { parseCommand } from '../../src/commands/catalog.ts';
import { deadLetterReasons } from '../../src/errors.ts';
import {
  parseEvent,
  parseJson,
  parseStatus,
  parseTelemetry,
  type TimeRules,
} from '../../src/ingest/payloads.ts';

const doc = readFileSync(new URL('../../docs/mqtt.md', import.meta.url), 'utf8');
const catalog = loadCatalog();

interface Example {
  channel: string;
  kind: KindName | undefined;
  refused: string | undefined;
  label: string;
  text: string;
}

const examples: Example[] = [...doc.matchAll(/<!-- example: ([^>]*?) -->\s*```json\n([\s\S]*?)```/g)].map(
  (m, i) => {
    const words = m[1]!.trim().split(/\s+/);
    const kind = words.find((w): w is KindName => (kindNames as readonly string[]).includes(w));
    const refusedAt = words.indexOf('refused');
    return {
      channel: words[0]!,
      kind,
      refused: refusedAt >= 0 ? words[refusedAt + 1] : undefined,
      label: `#${i + 1} ${m[1]!.trim()}`,
      text: m[2]!,
    };
  },
);

// The examples are dated 8 December 2026 (local time); the server's clock is the next morning.
const rules: TimeRules = {
  now: new Date('2026-12-09T00:00:00Z'),
  maxFutureMs: 300_000,
  maxAgeMs: 30 * 86_400_000,
};

/** The refusal codes ingest gives the example; empty when it is taken whole. */
function refusals(example: Example): string[] {
  const json = parseJson(Buffer.from(example.text));
  if (!json.ok) return [json.refusal.reason];
  switch (example.channel) {
    case 'telemetry': {
      if (!example.kind) throw new Error(`${example.label}: a telemetry example names its kind`);
      const parsed = parseTelemetry(json.value, catalog.kind(example.kind), rules, json.text);
      return parsed.refusals.map((r) => r.reason);
    }
    case 'status': {
      const parsed = parseStatus(json.value, rules);
      return 'reason' in parsed ? [parsed.reason] : [];
    }
    case 'event': {
      const parsed = parseEvent(json.value, rules);
      return 'reason' in parsed ? [parsed.reason] : [];
    }
    case 'cmd': {
      if (!example.kind) throw new Error(`${example.label}: a cmd example names its kind`);
      const { id, ts, name, args } = json.value as { id: unknown; ts: unknown; name: string; args: unknown };
      if (typeof id !== 'string' || typeof ts !== 'string') return ['VALIDATION_FAILED'];
      return parseCommand(example.kind, name, args).ok ? [] : ['VALIDATION_FAILED'];
    }
    default:
      throw new Error(`${example.label}: unknown channel ${example.channel}`);
  }
}

describe('the examples of docs/mqtt.md', () => {
  it('has an accepted telemetry example for every device kind, and status, event and cmd examples', () => {
    const accepted = examples.filter((e) => e.refused === undefined);
    for (const kind of kindNames) {
      expect(
        accepted.some((e) => e.channel === 'telemetry' && e.kind === kind),
        kind,
      ).toBe(true);
    }
    for (const channel of ['status', 'event', 'cmd']) {
      expect(
        accepted.some((e) => e.channel === channel),
        channel,
      ).toBe(true);
    }
  });

  it.each(examples.map((e) => [e.label, e] as const))('%s is judged as the doc says', (_label, example) => {
    expect(refusals(example)).toEqual(example.refused === undefined ? [] : [example.refused]);
  });

  it('lists every dead-letter reason in its refusal table, and no other', () => {
    const table = doc.slice(doc.indexOf('## Lý do từ chối / Refusal reasons'));
    const listed = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual([...deadLetterReasons].sort());
  });

  it('every accepted telemetry example keeps all of its readings', () => {
    for (const example of examples) {
      if (example.channel !== 'telemetry' || example.refused !== undefined) continue;
      const value = JSON.parse(example.text) as unknown;
      const { readings } = parseTelemetry(value, catalog.kind(example.kind!), rules);
      expect(readings.length, example.label).toBe(Array.isArray(value) ? value.length : 1);
    }
  });
});
