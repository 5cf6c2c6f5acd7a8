// The alert rule on the wire: its answer shape, the validation of a rule's form with every refusal
// naming its field in Vietnamese and English, and a stored rule merged with a caller's changes.
import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { type FieldError, fieldErrorMessage, parseWithFieldErrors } from '../../alerts/ruleErrors.ts';
import { fieldsOf, ruleTypes, weekdays } from '../../alerts/ruleParams.ts';
import { inputOf, type Rule, RuleInput, RuleInstructions, severities } from '../../alerts/rules.ts';
import { AppError } from '../../errors.ts';

const n = <T extends z.ZodType>(t: T) => t.nullable();
export const RuleBody = z.object({
  id: z.number(),
  key: n(z.string()).describe('the default it came from (devices/rules/defaults.json), if any'),
  name: z.string(),
  type: z.enum(ruleTypes),
  metric: n(z.string()),
  comparison: n(z.string()),
  threshold: n(z.number()),
  clearValue: n(z.number()),
  forS: z.number(),
  severity: z.enum(severities),
  kind: n(z.string()),
  city: n(z.string()),
  ward: n(z.string()),
  zone: n(z.string()),
  deviceId: n(z.string()),
  deviceIds: n(z.array(z.string())),
  windowStart: n(z.number()),
  windowEnd: n(z.number()),
  days: n(z.array(z.enum(weekdays))),
  params: z.record(z.string(), z.unknown()).describe("the fields of the rule type's params"),
  messageVi: z.string(),
  messageEn: z.string(),
  sourceRef: n(z.string()),
  enabled: z.boolean(),
  instructions: n(RuleInstructions),
});

/** Older rows have no list or days: the answer always carries both, null when unset. */
export const ruleAnswer = (rule: Rule) => ({
  ...rule,
  deviceIds: rule.deviceIds ?? null,
  days: rule.days ?? null,
});

export function invalidRule(errors: readonly FieldError[], prefix = 'body'): AppError {
  const vi = errors.map((e) => `${prefix}.${e.field}: ${e.vi}`).join('; ');
  const en = errors.map((e) => `${prefix}.${e.field}: ${e.en}`).join('; ');
  return new AppError('VALIDATION_FAILED', fieldErrorMessage(errors, prefix), { vi, en, fields: errors });
}

/**
 * The routes' validator: the same zod schemas (so the OpenAPI document shows each type's form), with
 * refusals in both languages. Fastify hands an absent body over as null.
 */
export const bilingualValidation =
  <S>({ schema, httpPart }: Parameters<FastifySchemaCompiler<S>>[0]) =>
  (data: unknown) => {
    const input = httpPart === 'body' && data === null ? undefined : data;
    const parsed = parseWithFieldErrors(schema as z.ZodType, input);
    return parsed.success
      ? { value: parsed.data }
      : { error: invalidRule(parsed.errors, httpPart ?? 'request') };
  };

/** Changes to a rule, any of its fields; the whole rule is checked once they are applied. */
export const RuleChanges = z
  .record(z.string().max(64), z.unknown())
  .describe(
    'các trường cần đổi, theo mẫu của loại quy tắc / the fields to change, as in the form of the rule type',
  );

/**
 * A stored rule with `changes` applied, parsed as its type's form. A change of type keeps the
 * fields both types have (name, scope, schedule, texts) and drops the old type's own, params first.
 */
export function mergeRule(current: Rule, changes: Record<string, unknown>): RuleInput {
  if ('key' in changes)
    throw invalidRule([{ field: 'key', vi: 'không đổi được khoá', en: 'cannot be changed' }]);
  const type = typeof changes.type === 'string' ? changes.type : current.type;
  const base = inputOf(current);
  if (type !== current.type && (ruleTypes as readonly string[]).includes(type)) {
    const kept = fieldsOf(type as Rule['type']);
    for (const field of Object.keys(base)) if (!kept.has(field) || field === 'params') delete base[field];
  }
  const parsed = parseWithFieldErrors(RuleInput, { ...base, ...changes });
  if (!parsed.success) throw invalidRule(parsed.errors);
  return parsed.data;
}
