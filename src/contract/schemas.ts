// The payload schemas of the published contract, converted by zod's own JSON Schema conversion (the one
// the OpenAPI description uses) from the schemas ingest parses with, the catalogue's metrics and the
// command catalogue. Nothing here restates a field: it only adds descriptions and names the kinds' metrics.
import { z } from 'zod';
import type { KindDefinition, KindName, MetricDefinition } from '../catalog/schema.ts';
import { CommandResultData, commandMessageOf, commandResultType } from '../commands/catalog.ts';
import { EventPayload, StatusPayload, TelemetryItem } from '../ingest/payloads.ts';
import { type FieldText, fieldTexts, line } from './texts.ts';

export type JsonSchema = Record<string, unknown>;

/** Component names: `Telemetry` + `Streetlight`. */
export const pascal = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

export const schemaNames = {
  telemetry: (kind: KindName) => `Telemetry${pascal(kind)}`,
  backlog: (kind: KindName) => `Backlog${pascal(kind)}`,
  cmd: (kind: KindName) => `Command${pascal(kind)}`,
  status: 'Status',
  event: 'Event',
  commandResult: 'CommandResult',
  timestamp: 'Timestamp',
} as const;

type Shape = Record<string, z.ZodType>;

/** The object with a description (and unit) on each named field; the fields' schemas are the object's own. */
function described<T extends z.ZodObject<Shape>>(object: T, texts: Record<string, FieldText>): T {
  const shape = object.shape as Shape;
  const extra: Shape = {};
  for (const [name, text] of Object.entries(texts)) {
    const field = shape[name];
    if (!field) throw new Error(`the payload has no field ${name} to describe`);
    extra[name] = field.meta({ description: line(text), ...(text.unit ? { 'x-unit': text.unit } : {}) });
  }
  return object.extend(extra) as unknown as T;
}

function metricSchema(metric: MetricDefinition): z.ZodType {
  const notes = [
    metric.type === 'flag' ? '0 | 1' : undefined,
    metric.cumulative ? 'bộ đếm tích lũy, chỉ tăng / cumulative counter, only grows' : undefined,
  ].filter(Boolean);
  const value = metric.type === 'flag' ? z.literal([0, 1]) : z.number().min(metric.min).max(metric.max);
  return value.optional().meta({
    title: line(metric.name),
    description: [line(metric.name), ...notes].join('. '),
    'x-unit': metric.unit,
  });
}

/** A kind's `metrics`: its catalogue metrics, any subset but at least one, nothing else. */
function metricsOf(kind: KindDefinition): z.ZodType {
  const shape = Object.fromEntries(Object.entries(kind.metrics).map(([name, m]) => [name, metricSchema(m)]));
  // Ingest refuses an empty `metrics` in code; minProperties is how a JSON Schema reader sees that rule.
  return z
    .strictObject(shape)
    .refine((metrics) => Object.keys(metrics).length > 0, 'send at least one metric')
    .meta({ description: line(fieldTexts.metrics), minProperties: 1 });
}

const readingFields = { ts: fieldTexts.ts, seq: fieldTexts.seq };

export function telemetrySchema(kind: KindDefinition) {
  return described(TelemetryItem, readingFields).extend({ metrics: metricsOf(kind) });
}

/** An array of the kind's readings; ingest refuses an empty one ("send at least one reading"). */
export const backlogOf = (telemetry: ReturnType<typeof telemetrySchema>) => z.array(telemetry).min(1);

export const statusSchema = described(StatusPayload, {
  ts: fieldTexts.ts,
  online: fieldTexts.online,
  battery_pct: fieldTexts.battery_pct,
  rssi_dbm: fieldTexts.rssi_dbm,
  fw: fieldTexts.fw,
});

export const eventSchema = described(EventPayload, {
  ts: fieldTexts.ts,
  type: fieldTexts.type,
  id: fieldTexts.id,
  data: fieldTexts.data,
});

/** A `cmd_result` is an event: ingest's event schema, with the type fixed and the command's id required. */
export const commandResultSchema = eventSchema.extend({
  type: z.literal(commandResultType).meta({ description: line(fieldTexts.type) }),
  id: EventPayload.shape.id.unwrap().meta({ description: line(fieldTexts.commandId) }),
  data: CommandResultData.meta({ description: line(fieldTexts.resultData) }),
});

const commandFields = {
  id: fieldTexts.commandId,
  ts: fieldTexts.commandTs,
  name: fieldTexts.commandName,
  args: fieldTexts.commandArgs,
};

export function commandSchema(kind: KindName) {
  const [first, ...rest] = commandMessageOf(kind).options.map((option) => described(option, commandFields));
  return z.discriminatedUnion('name', [first!, ...rest]);
}

/**
 * Every payload schema of the contract as JSON Schema (draft-07, which AsyncAPI's schema format
 * extends), keyed by component name; shared parts are `$ref`s into `#/components/schemas/`.
 */
export function payloadSchemas(kinds: readonly KindDefinition[]): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  // The timestamp is one schema shared by every payload: named once, referenced everywhere.
  registry.add(TelemetryItem.shape.ts.unwrap(), { id: schemaNames.timestamp });
  for (const kind of kinds) {
    const telemetry = telemetrySchema(kind);
    registry.add(telemetry, { id: schemaNames.telemetry(kind.kind) });
    registry.add(backlogOf(telemetry), { id: schemaNames.backlog(kind.kind) });
  }
  registry.add(statusSchema, { id: schemaNames.status });
  registry.add(eventSchema, { id: schemaNames.event });
  registry.add(commandResultSchema, { id: schemaNames.commandResult });
  for (const kind of kinds) registry.add(commandSchema(kind.kind), { id: schemaNames.cmd(kind.kind) });

  const { schemas } = z.toJSONSchema(registry, {
    io: 'input', // what a device sends (defaults are optional on the wire)
    target: 'draft-07',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const result: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    // Identity keywords of a standalone schema; in a components map they would only confuse $ref resolution.
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema;
    result[id] = rest;
  }
  return result;
}
