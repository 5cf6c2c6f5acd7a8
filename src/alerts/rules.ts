// Alert rules: their shape as stored, their typed form (src/alerts/ruleParams.ts: one schema per
// type, shared by devices/rules/defaults.json, the /rules API, the engine and the dry run), which
// devices a rule watches and when, and the bilingual message it writes.
import { readFileSync } from 'node:fs';
import { localParts } from '../standards/index.ts';
import type { DeviceRow } from '../storage/devices.ts';
import { fieldErrorMessage, parseWithFieldErrors } from './ruleErrors.ts';
import {
  fieldsOf,
  RuleInput,
  type RuleInstructions,
  type RuleParams,
  type RuleType,
  type Severity,
  storedParams,
  type Weekday,
  weekdays,
} from './ruleParams.ts';

export { RuleInput, RuleInstructions, ruleTypes, type Severity, severities } from './ruleParams.ts';

/** A rule as stored (alert_rules): every type's columns, params as written. */
export interface Rule {
  id: number;
  key: string | null;
  name: string;
  type: RuleType;
  metric: string | null;
  comparison: '>' | '>=' | '<' | '<=' | '=' | null;
  threshold: number | null;
  clearValue: number | null;
  forS: number;
  severity: Severity;
  kind: string | null;
  city: string | null;
  ward: string | null;
  zone: 'special' | 'normal' | null;
  deviceId: string | null;
  /** Older rows and hand-made ones may lack it: read as "no list". */
  deviceIds?: string[] | null;
  windowStart: number | null;
  windowEnd: number | null;
  /** Local weekdays the rule is active on; absent or null: every day. */
  days?: Weekday[] | null;
  params: Record<string, unknown>;
  messageVi: string;
  messageEn: string;
  sourceRef: string | null;
  enabled: boolean;
  instructions: RuleInstructions | null;
}

/** What storage writes: a parsed RuleInput, or a row made by hand (tests, the seeding of defaults). */
export interface RuleRecord {
  key?: string;
  name: string;
  type: RuleType;
  metric?: string;
  comparison?: NonNullable<Rule['comparison']>;
  threshold?: number;
  clearValue?: number;
  forS?: number;
  severity: Severity;
  kind?: string;
  city?: string;
  ward?: string;
  zone?: 'special' | 'normal';
  deviceId?: string;
  deviceIds?: string[];
  windowStart?: number;
  windowEnd?: number;
  days?: Weekday[];
  params: Record<string, unknown>;
  messageVi: string;
  messageEn: string;
  sourceRef?: string;
  enabled: boolean;
  instructions?: RuleInstructions;
}

/** A stored rule with its params read by its type's schema: what the engine and the dry run evaluate. */
export type TypedRule = {
  [T in RuleType]: Omit<Rule, 'type' | 'params'> & { type: T; params: RuleParams[T] };
}[RuleType];

/**
 * Reads a stored rule's params by its type. Keys the type does not use are dropped (they never did
 * anything); a value of the wrong type is an error naming the field, in both languages.
 */
export function typedRule(rule: Rule): TypedRule {
  const parsed = parseWithFieldErrors(storedParams[rule.type], rule.params);
  if (!parsed.success) throw new Error(fieldErrorMessage(parsed.errors, 'params'));
  return { ...rule, params: parsed.data } as TypedRule;
}

/** A stored rule as the input it would be written with: the fields of its type's form, nulls left out. */
export function inputOf(rule: Rule): Record<string, unknown> {
  const fields = fieldsOf(rule.type);
  return Object.fromEntries(
    Object.entries(rule).filter(([k, v]) => v !== null && v !== undefined && fields.has(k)),
  );
}

/** An unsaved rule (a dry run's) as if stored, with id 0. */
export function ruleOf(input: RuleInput): Rule {
  const value = <T>(v: T | undefined) => v ?? null;
  const r = input as RuleRecord;
  return {
    id: 0,
    key: value(r.key),
    name: r.name,
    type: r.type,
    metric: value(r.metric),
    comparison: value(r.comparison),
    threshold: value(r.threshold),
    clearValue: value(r.clearValue),
    forS: r.forS ?? 0,
    severity: r.severity,
    kind: value(r.kind),
    city: value(r.city),
    ward: value(r.ward),
    zone: value(r.zone),
    deviceId: value(r.deviceId),
    deviceIds: value(r.deviceIds),
    windowStart: value(r.windowStart),
    windowEnd: value(r.windowEnd),
    days: value(r.days),
    params: r.params,
    messageVi: r.messageVi,
    messageEn: r.messageEn,
    sourceRef: value(r.sourceRef),
    enabled: r.enabled,
    instructions: value(r.instructions),
  };
}

export const defaultRulesFile = new URL('../../devices/rules/defaults.json', import.meta.url).pathname;

export function loadDefaultRules(path = defaultRulesFile): RuleRecord[] {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { rules: unknown[] };
  return data.rules.map((raw, i) => {
    const parsed = parseWithFieldErrors(RuleInput, raw);
    if (!parsed.success) throw new Error(`${path} rule ${i}: ${fieldErrorMessage(parsed.errors)}`);
    return parsed.data as RuleRecord;
  });
}

/** Whether a rule watches this device (every scope field that is set must match). */
export function appliesTo(
  rule: Rule,
  device: Pick<DeviceRow, 'id' | 'kind' | 'city' | 'ward' | 'zone'>,
): boolean {
  return (
    rule.enabled &&
    rule.type !== 'system' &&
    (rule.kind === null || rule.kind === device.kind) &&
    (rule.city === null || rule.city === device.city) &&
    (rule.ward === null || rule.ward === device.ward) &&
    (rule.zone === null || rule.zone === device.zone) &&
    (rule.deviceId === null || rule.deviceId === device.id) &&
    (!rule.deviceIds || rule.deviceIds.includes(device.id))
  );
}

/** Whether the rule's weekdays include the local day of `at` (a rule without days: every day). */
export function onActiveDay(rule: Pick<Rule, 'days'>, at: Date): boolean {
  return !rule.days || rule.days.includes(weekdays[localParts(at).dayOfWeek]!);
}

/** Fills {name}, {ward}, {value}... in a message; unknown placeholders stay as written. */
export function renderMessage(template: string, values: Record<string, string | number | undefined>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? String(Math.round(value * 10) / 10) : value;
  });
}
