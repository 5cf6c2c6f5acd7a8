// One form per rule type: the fields each type of alert rule uses, as zod schemas shared by the
// defaults file, the rules API (and so its OpenAPI document, one schema per type), the engine and
// the dry run. A field a type does not use is refused on input rather than silently ignored, so a
// form built from the document cannot save a rule that would not do what it shows.
import { z } from 'zod';
import { CityId, KindName, Zone } from '../catalog/schema.ts';

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
export type RuleType = (typeof ruleTypes)[number];
export const severities = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof severities)[number];
export const comparisons = ['>', '>=', '<', '<=', '='] as const;
/** Local weekdays (Asia/Ho_Chi_Minh), in the order of `LocalParts.dayOfWeek` (0 = Sunday). */
export const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof weekdays)[number];

/** What a parameter left out means; the engine reads these, the document shows them. */
export const paramDefaults = { offlineIntervals: 3, streetlightMinPowerW: 5 } as const;

/** Each type's `params`, field by field. */
const paramShapes = {
  threshold: {
    limit: z
      .literal('qcvn26')
      .optional()
      .describe(
        'lấy ngưỡng theo QCVN 26 có hiệu lực tại thời điểm đo, theo vùng / the limit of the QCVN 26 version in force at the reading, for the zone',
      ),
    clearBelowDb: z
      .number()
      .min(0)
      .max(40)
      .optional()
      .describe(
        'với limit: hết cảnh báo khi thấp hơn giới hạn bấy nhiêu dB / with limit: clears this many dB under it',
      ),
  },
  rate_of_rise: {
    rise: z.number().positive().max(1_000_000).describe('mức tăng trong cửa sổ / the rise within the window'),
    windowS: z.number().int().min(1).max(86_400).describe('cửa sổ, giây / the window, seconds'),
  },
  offline: {
    intervals: z
      .number()
      .positive()
      .max(1_000)
      .optional()
      .describe(
        `số chu kỳ báo cáo không có dữ liệu (mặc định ${paramDefaults.offlineIntervals}) / reporting intervals without data (default ${paramDefaults.offlineIntervals})`,
      ),
    minutes: z
      .number()
      .int()
      .min(1)
      .max(10_080)
      .optional()
      .describe('hoặc số phút không có dữ liệu / or minutes without data'),
  },
  last_will: {},
  event: {
    eventType: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z][a-z0-9_]*$/)
      .describe('loại sự kiện thiết bị gửi, vd. tamper / the event type the device sends, e.g. tamper'),
  },
  aqi: {
    minBand: z
      .number()
      .int()
      .min(1)
      .max(6)
      .optional()
      .describe('mức VN_AQI từ 1 (Tốt) đến 6 (Nguy hại) / VN_AQI band from 1 (Good) to 6 (Hazardous)'),
    minAqi: z.number().int().min(0).max(500).optional().describe('hoặc giá trị VN_AQI / or a VN_AQI value'),
  },
  streetlight_dark: {
    minPowerW: z
      .number()
      .min(0)
      .max(10_000)
      .optional()
      .describe(
        `công suất dưới mức này là đèn tắt (mặc định ${paramDefaults.streetlightMinPowerW} W) / below this power the lamp is dark (default ${paramDefaults.streetlightMinPowerW} W)`,
      ),
  },
  system: { check: z.enum(['backup']).describe('việc IOC tự kiểm tra / what the IOC checks on itself') },
} as const satisfies Record<RuleType, z.ZodRawShape>;

/** Stored params as the engine reads them: keys a type does not use are dropped, not refused. */
export const storedParams = {
  threshold: z.object(paramShapes.threshold),
  rate_of_rise: z.object(paramShapes.rate_of_rise),
  offline: z.object(paramShapes.offline),
  last_will: z.object(paramShapes.last_will),
  event: z.object(paramShapes.event),
  aqi: z.object(paramShapes.aqi),
  streetlight_dark: z.object(paramShapes.streetlight_dark),
  system: z.object(paramShapes.system),
} as const;
export type RuleParams = { [T in RuleType]: z.output<(typeof storedParams)[T]> };

/** Both languages in one message, Vietnamese first; ruleErrors.ts splits them again. */
const both = (vi: string, en: string) => `${vi} / ${en}`;

/** What an operator should do when the rule fires, and whom to call: shown with the alert. */
export const RuleInstructions = z
  .object({ vi: z.string().min(1).max(2_000), en: z.string().min(1).max(2_000) })
  .strict()
  .describe('what to do and whom to call, in Vietnamese and English');
export type RuleInstructions = z.infer<typeof RuleInstructions>;

const minuteOfDay = (max: number) => z.number().int().min(0).max(max);
const Metric = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9_]*$/)
  .describe("chỉ số của hồ sơ thiết bị / a metric of the device's profile");

/** Fields every type has: name, severity, scope, schedule, texts. */
const common = {
  key: z
    .string()
    .max(100)
    .regex(/^[a-z0-9-]+$/)
    .optional()
    .describe('stable key of a shipped default'),
  name: z.string().min(1).max(200),
  severity: z.enum(severities),
  kind: KindName.optional().describe('phạm vi: hồ sơ (loại) thiết bị / scope: device profile (kind)'),
  city: CityId.optional().describe('phạm vi: khu vực / scope: area'),
  ward: z
    .string()
    .max(64)
    .optional()
    .describe('phạm vi: đơn vị hành chính (phường, xã) / scope: unit (ward)'),
  zone: Zone.optional().describe('phạm vi: vùng QCVN 26 / scope: QCVN 26 zone'),
  deviceId: z.string().max(64).optional().describe('phạm vi: một thiết bị / scope: one device'),
  deviceIds: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(500)
    .optional()
    .describe('phạm vi: danh sách thiết bị / scope: a list of devices'),
  windowStart: minuteOfDay(1439)
    .optional()
    .describe('giờ bắt đầu (phút trong ngày, giờ Việt Nam) / active from (minute of the day, Vietnam time)'),
  windowEnd: minuteOfDay(1440)
    .optional()
    .describe('giờ kết thúc, có thể qua nửa đêm / active until, may wrap midnight'),
  days: z
    .array(z.enum(weekdays))
    .min(1)
    .max(7)
    .optional()
    .describe('các ngày trong tuần có hiệu lực (giờ Việt Nam) / active weekdays (Vietnam time)'),
  messageVi: z.string().min(1).max(500).describe('mẫu tin tiếng Việt, vd. {name} {ward} {value} {unit}'),
  messageEn: z
    .string()
    .min(1)
    .max(500)
    .describe('English message template, e.g. {name} {ward} {value} {unit}'),
  sourceRef: z.string().max(500).optional(),
  enabled: z.boolean().default(true),
  instructions: RuleInstructions.optional(),
};
const forS = z
  .number()
  .int()
  .min(0)
  .max(86_400)
  .default(0)
  .describe('điều kiện phải kéo dài bao lâu, giây / how long the condition must hold, seconds');

const variant = <T extends RuleType, S extends z.ZodRawShape>(type: T, fields: S, description: string) =>
  z.strictObject({ ...common, type: z.literal(type), ...fields }).meta({ description });

export const ruleVariants = {
  threshold: variant(
    'threshold',
    {
      metric: Metric,
      comparison: z.enum(comparisons),
      threshold: z
        .number()
        .optional()
        .describe('ngưỡng; bỏ trống khi dùng params.limit / the limit; omit with params.limit'),
      clearValue: z
        .number()
        .optional()
        .describe('giá trị hết cảnh báo (trễ) / the value that clears an active alert (hysteresis)'),
      forS,
      params: z.strictObject(paramShapes.threshold).default({}),
    },
    'Ngưỡng: chỉ số so với một giá trị hoặc giới hạn QCVN 26 / Threshold: a metric against a value or the QCVN 26 limit',
  ),
  rate_of_rise: variant(
    'rate_of_rise',
    {
      metric: Metric,
      clearValue: z
        .number()
        .optional()
        .describe(
          'hết cảnh báo khi mức tăng dưới giá trị này (mặc định rise/2) / clears under this rise (default rise/2)',
        ),
      params: z.strictObject(paramShapes.rate_of_rise),
    },
    'Tăng nhanh: chỉ số tăng quá mức trong cửa sổ / Rate of rise: a metric rising too much within a window',
  ),
  offline: variant(
    'offline',
    { params: z.strictObject(paramShapes.offline).default({}) },
    'Mất tín hiệu: thiết bị im lặng quá lâu / Silence: a device without data for too long',
  ),
  last_will: variant(
    'last_will',
    { forS, params: z.strictObject(paramShapes.last_will).default({}) },
    'Mất kết nối (last will), mở sau forS nếu chưa kết nối lại / Connection lost (last will), opened after forS unless back',
  ),
  event: variant('event', { params: z.strictObject(paramShapes.event) }, 'Sự kiện thiết bị / A device event'),
  aqi: variant(
    'aqi',
    { forS, params: z.strictObject(paramShapes.aqi) },
    'VN_AQI theo giờ (Quyết định 1459/QĐ-TCMT) / Hourly VN_AQI (Decision 1459/QĐ-TCMT)',
  ),
  streetlight_dark: variant(
    'streetlight_dark',
    { forS, params: z.strictObject(paramShapes.streetlight_dark).default({}) },
    'Đèn không sáng khi trời tối / A streetlight dark while it is dark outside',
  ),
  system: variant(
    'system',
    { params: z.strictObject(paramShapes.system) },
    'Cảnh báo của chính IOC (sao lưu) / An alert on the IOC itself (backups)',
  ),
} as const;

/** Checks across fields, which a field's own schema cannot make. */
function crossChecks(r: z.output<(typeof ruleVariants)[RuleType]>, ctx: z.RefinementCtx) {
  const issue = (path: Array<string | number>, vi: string, en: string) =>
    ctx.addIssue({ code: 'custom', path, message: both(vi, en) });
  if ((r.windowStart === undefined) !== (r.windowEnd === undefined))
    issue(['windowEnd'], 'windowStart và windowEnd đi cùng nhau', 'windowStart and windowEnd go together');
  if (r.deviceId !== undefined && r.deviceIds !== undefined)
    issue(['deviceIds'], 'dùng deviceId hoặc deviceIds, không cả hai', 'use deviceId or deviceIds, not both');
  if (r.type === 'threshold') {
    if (r.params.limit === undefined && r.threshold === undefined)
      issue(
        ['threshold'],
        'bắt buộc với quy tắc ngưỡng khi không có params.limit',
        'is required for a threshold rule without params.limit',
      );
    if (r.params.clearBelowDb !== undefined && r.params.limit === undefined)
      issue(['params', 'clearBelowDb'], 'chỉ dùng cùng params.limit', 'goes with params.limit only');
  }
  if (r.type === 'aqi' && (r.params.minBand === undefined) === (r.params.minAqi === undefined))
    issue(
      ['params', 'minBand'],
      'cần đúng một trong minBand, minAqi',
      'needs exactly one of minBand, minAqi',
    );
  if (r.type === 'offline' && r.params.intervals !== undefined && r.params.minutes !== undefined)
    issue(
      ['params', 'minutes'],
      'dùng intervals hoặc minutes, không cả hai',
      'use intervals or minutes, not both',
    );
}

/** A rule as the API and the defaults file write it: one schema per type, chosen by `type`. */
export const RuleInput = z
  .discriminatedUnion('type', [
    ruleVariants.threshold,
    ruleVariants.rate_of_rise,
    ruleVariants.offline,
    ruleVariants.last_will,
    ruleVariants.event,
    ruleVariants.aqi,
    ruleVariants.streetlight_dark,
    ruleVariants.system,
  ])
  .superRefine(crossChecks);
export type RuleInput = z.output<typeof RuleInput>;

/** The fields a type's form has: what survives when a stored rule is turned back into input. */
export const fieldsOf = (type: RuleType): ReadonlySet<string> =>
  new Set(Object.keys(ruleVariants[type].shape));
