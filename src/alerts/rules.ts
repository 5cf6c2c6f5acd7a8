// Alert rules: their shape (shared by devices/rules/defaults.json and the /rules API), which devices
// a rule watches, and the bilingual message it writes.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CityId, KindName, Zone } from '../catalog/schema.ts';
import type { DeviceRow } from '../storage/devices.ts';

export const ruleTypes = [
  'threshold',
  'rate_of_rise',
  'offline',
  'last_will',
  'event',
  'aqi',
  'streetlight_dark',
  // Raised by the IOC about itself (src/backup/selfAlert.ts), never by a device's readings.
  'system',
] as const;
export const severities = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof severities)[number];

const minuteOfDay = z.number().int().min(0).max(1440);

/** What an operator should do when the rule fires, and whom to call: shown with the alert. */
export const RuleInstructions = z
  .object({ vi: z.string().min(1).max(2_000), en: z.string().min(1).max(2_000) })
  .strict()
  .describe('what to do and whom to call, in Vietnamese and English');
export type RuleInstructions = z.infer<typeof RuleInstructions>;

/** A rule as the API and the defaults file write it. */
export const RuleInput = z
  .object({
    key: z
      .string()
      .max(100)
      .regex(/^[a-z0-9-]+$/)
      .optional()
      .describe('stable key of a shipped default'),
    name: z.string().min(1).max(200),
    type: z.enum(ruleTypes),
    metric: z
      .string()
      .max(64)
      .regex(/^[a-z][a-z0-9_]*$/)
      .optional(),
    comparison: z.enum(['>', '>=', '<', '<=', '=']).optional(),
    threshold: z.number().optional(),
    clearValue: z.number().optional().describe('the value that clears an active alert (hysteresis)'),
    forS: z.number().int().min(0).max(86_400).default(0).describe('how long the condition must hold'),
    severity: z.enum(severities),
    kind: KindName.optional(),
    city: CityId.optional(),
    ward: z.string().max(64).optional(),
    zone: Zone.optional(),
    deviceId: z.string().max(64).optional(),
    windowStart: minuteOfDay.optional().describe('local time of day (Asia/Ho_Chi_Minh) in minutes'),
    windowEnd: minuteOfDay.optional(),
    params: z.record(z.string(), z.unknown()).default({}),
    messageVi: z.string().min(1).max(500),
    messageEn: z.string().min(1).max(500),
    sourceRef: z.string().max(500).optional(),
    enabled: z.boolean().default(true),
    instructions: RuleInstructions.optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const need = (field: keyof typeof r, why: string) => {
      if (r[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `is required ${why}` });
    };
    if (r.type === 'threshold') {
      need('metric', 'for a threshold rule');
      need('comparison', 'for a threshold rule');
      // params.limit 'qcvn26': the limit of the QCVN 26 version in force at each reading, for the zone.
      if (r.params.limit === undefined) need('threshold', 'for a threshold rule');
    }
    if (r.params.limit !== undefined && (r.params.limit !== 'qcvn26' || r.type !== 'threshold')) {
      ctx.addIssue({
        code: 'custom',
        path: ['params'],
        message: "params.limit is 'qcvn26', on a threshold rule",
      });
    }
    if (r.type === 'rate_of_rise') {
      need('metric', 'for a rate_of_rise rule');
      if (typeof r.params.rise !== 'number' || typeof r.params.windowS !== 'number') {
        ctx.addIssue({
          code: 'custom',
          path: ['params'],
          message: 'rate_of_rise needs params.rise and params.windowS (numbers)',
        });
      }
    }
    if (r.type === 'event' && typeof r.params.eventType !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['params'], message: 'an event rule needs params.eventType' });
    }
    if (r.type === 'aqi' && typeof r.params.minBand !== 'number') {
      ctx.addIssue({ code: 'custom', path: ['params'], message: 'an aqi rule needs params.minBand (1-6)' });
    }
    if ((r.windowStart === undefined) !== (r.windowEnd === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['windowEnd'], message: 'windowStart and windowEnd go together' });
    }
  });
export type RuleInput = z.infer<typeof RuleInput>;

export interface Rule {
  id: number;
  key: string | null;
  name: string;
  type: (typeof ruleTypes)[number];
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
  windowStart: number | null;
  windowEnd: number | null;
  params: Record<string, unknown>;
  messageVi: string;
  messageEn: string;
  sourceRef: string | null;
  enabled: boolean;
  instructions: RuleInstructions | null;
}

export const defaultRulesFile = new URL('../../devices/rules/defaults.json', import.meta.url).pathname;

export function loadDefaultRules(path = defaultRulesFile): RuleInput[] {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { rules: unknown[] };
  return data.rules.map((raw, i) => {
    const parsed = RuleInput.safeParse(raw);
    if (!parsed.success) {
      throw new Error(
        `${path} rule ${i}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    }
    return parsed.data;
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
    (rule.deviceId === null || rule.deviceId === device.id)
  );
}

/** Fills {name}, {ward}, {value}... in a message; unknown placeholders stay as written. */
export function renderMessage(template: string, values: Record<string, string | number | undefined>): string {
  return template.replace(/\{([a-z_]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) return whole;
    return typeof value === 'number' ? String(Math.round(value * 10) / 10) : value;
  });
}
