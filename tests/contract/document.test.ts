// The published MQTT contract: the committed docs/asyncapi.json is what the code generates, the official
// AsyncAPI parser finds no error in it, every example passes the schemas it documents and ingest's own
// parsers, and the schemas say what the catalogue says about every metric.
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/index.ts';
import { type KindName, kindNames } from '../../src/catalog/schema.ts';
import { parseCommand } from '../../src/commands/catalog.ts';
import { channelNames } from '../../src/contract/document.ts';
import { createContract } from '../../src/contract/index.ts';
import {
  commandResultSchema,
  commandSchema,
  pascal,
  statusSchema,
  telemetrySchema,
} from '../../src/contract/schemas.ts';
import { parseEvent, parseStatus, parseTelemetry, type TimeRules } from '../../src/ingest/payloads.ts';

const catalog = loadCatalog();
const contract = createContract(catalog);
const document = contract.document();
const committed = new URL('../../docs/asyncapi.json', import.meta.url);

// The examples are dated 1 December 2026; the server's clock is the next day.
const rules: TimeRules = {
  now: new Date('2026-12-02T12:00:00Z'),
  maxFutureMs: 300_000,
  maxAgeMs: 30 * 86_400_000,
};

/** Problems with a payload, from the zod schema the document was converted from and from ingest. */
type Check = (payload: unknown) => string[];
const zodProblems = (result: { success: boolean; error?: { message: string } }) =>
  result.success ? [] : [result.error!.message];

function telemetryCheck(kind: KindName, array: boolean): Check {
  return (payload) => {
    const schema = telemetrySchema(catalog.kind(kind));
    const items = array ? (payload as unknown[]) : [payload];
    const parsed = parseTelemetry(payload, catalog.kind(kind), rules);
    return [
      ...items.flatMap((item) => zodProblems(schema.safeParse(item))),
      ...parsed.refusals.map((r) => `${r.reason}: ${r.message}`),
      ...(parsed.readings.length === items.length ? [] : ['not every reading was kept']),
    ];
  };
}

const statusCheck: Check = (payload) => {
  const parsed = parseStatus(payload, rules);
  return [...zodProblems(statusSchema.safeParse(payload)), ...('reason' in parsed ? [parsed.message] : [])];
};

function eventCheck(resultOnly: boolean): Check {
  return (payload) => {
    const parsed = parseEvent(payload, rules);
    return [
      ...(resultOnly ? zodProblems(commandResultSchema.safeParse(payload)) : []),
      ...('reason' in parsed ? [parsed.message] : []),
    ];
  };
}

function commandCheck(kind: KindName): Check {
  return (payload) => {
    const { name, args } = payload as { name: string; args: unknown };
    const parsed = parseCommand(kind, name, args);
    return [...zodProblems(commandSchema(kind).safeParse(payload)), ...(parsed.ok ? [] : [parsed.message])];
  };
}

/** Every message of the document and how its examples are judged. */
const checks: Record<string, Check> = {
  status: statusCheck,
  lastWill: statusCheck,
  event: eventCheck(false),
  commandResult: eventCheck(true),
};
for (const kind of kindNames) {
  checks[`telemetry${pascal(kind)}`] = telemetryCheck(kind, false);
  checks[`backlog${pascal(kind)}`] = telemetryCheck(kind, true);
  checks[`cmd${pascal(kind)}`] = commandCheck(kind);
}

describe('the AsyncAPI document of the MQTT contract', () => {
  it('is committed as docs/asyncapi.json exactly as the code generates it', () => {
    const onDisk = readFileSync(committed, 'utf8');
    expect(
      onDisk === contract.json(),
      'docs/asyncapi.json is out of date with the schemas, catalogue or examples: run `npm run contract` and commit it',
    ).toBe(true);
  });

  it('has no error for the official AsyncAPI parser', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(contract.json());
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`)).toEqual([]);
    expect(parsed?.channels().length).toBe(Object.keys(document.channels).length);
  });

  it('has a telemetry, backlog and cmd channel or message per kind, and an example of every message per kind', () => {
    expect(Object.keys(checks).sort()).toEqual(Object.keys(document.components.messages).sort());
    for (const kind of kindNames) {
      expect(document.channels[channelNames.telemetry(kind)]?.address).toBe(
        `ioc/{city}/${kind}/{deviceId}/telemetry`,
      );
      expect(document.channels[channelNames.cmd(kind)]?.address).toBe(`ioc/{city}/${kind}/{deviceId}/cmd`);
      for (const shared of ['status', 'event', 'commandResult'])
        expect(document.components.messages[shared]!.examples.map((e) => e.name)).toContain(kind);
    }
    for (const message of Object.values(document.components.messages))
      expect(message.examples.length).toBeGreaterThan(0);
  });

  it('has examples that the schemas and ingest accept whole', () => {
    const problems = Object.entries(document.components.messages).flatMap(([key, message]) =>
      message.examples.flatMap((example) =>
        checks[key]!(example.payload).map((problem) => `${key} ${example.name}: ${problem}`),
      ),
    );
    expect(problems).toEqual([]);
  });

  it('refuses through its schemas what ingest refuses', () => {
    const environment = telemetrySchema(catalog.kind('environment'));
    expect(environment.safeParse({ ts: 1796101200000, metrics: {} }).success).toBe(false);
    expect(environment.safeParse({ metrics: { pm25: 1, spl_db: 2 } }).success).toBe(false);
    expect(environment.safeParse({ metrics: { pm25: -1 } }).success).toBe(false);
    expect(commandSchema('streetlight').safeParse({ ...setLamp, args: {} }).success).toBe(false);
    expect(parseCommand('streetlight', 'set_lamp', {}).ok).toBe(false);
    const args = document.components.schemas.CommandStreetlight as { oneOf: Array<{ properties: any }> };
    expect(
      args.oneOf.find((b) => b.properties.name.const === 'set_lamp')?.properties.args.minProperties,
    ).toBe(1);
  });

  it('gives every metric of the catalogue its unit and plausible range, and nothing else', () => {
    for (const kind of kindNames) {
      const schema = document.components.schemas[`Telemetry${pascal(kind)}`] as any;
      const metrics = schema.properties.metrics;
      expect(metrics.additionalProperties).toBe(false);
      expect(metrics.minProperties).toBe(1);
      expect(Object.keys(metrics.properties)).toEqual(Object.keys(catalog.kind(kind).metrics));
      for (const [name, metric] of Object.entries(catalog.kind(kind).metrics)) {
        const property = metrics.properties[name];
        expect(property['x-unit'], `${kind}.${name}`).toBe(metric.unit);
        if (metric.type === 'flag') expect(property.enum, `${kind}.${name}`).toEqual([0, 1]);
        else
          expect([property.minimum, property.maximum], `${kind}.${name}`).toEqual([metric.min, metric.max]);
      }
    }
  });
});

const setLamp = {
  id: '5b0e7f0c-3d7a-4f7e-9a51-2f0c8f3b1d22',
  ts: '2026-12-01T12:02:11.120Z',
  name: 'set_lamp',
};
