// The form of each rule type: what it takes, what it refuses (naming the field, in Vietnamese and
// English), and that the shipped defaults and the params stored before the forms were typed still read.
import { describe, expect, it } from 'vitest';
import { parseWithFieldErrors } from '../../src/alerts/ruleErrors.ts';
import { RuleInput, ruleTypes } from '../../src/alerts/ruleParams.ts';
import { inputOf, loadDefaultRules, type Rule, ruleOf, typedRule } from '../../src/alerts/rules.ts';

const texts = {
  severity: 'warning',
  messageVi: 'Cảnh báo tại {name}',
  messageEn: 'Alert at {name}',
} as const;

/** One valid form per type, as an administrator's form would send it. */
const valid: Record<(typeof ruleTypes)[number], Record<string, unknown>> = {
  threshold: {
    name: 'Ồn',
    type: 'threshold',
    kind: 'noise',
    metric: 'laeq_db',
    comparison: '>',
    threshold: 70,
    clearValue: 65,
    forS: 300,
    ...texts,
  },
  rate_of_rise: {
    name: 'Tăng nhiệt',
    type: 'rate_of_rise',
    metric: 'temp_c',
    params: { rise: 8, windowS: 60 },
    ...texts,
  },
  offline: { name: 'Im lặng', type: 'offline', params: { minutes: 30 }, ...texts },
  last_will: { name: 'Mất kết nối', type: 'last_will', forS: 60, ...texts },
  event: { name: 'Can thiệp', type: 'event', params: { eventType: 'tamper' }, ...texts },
  aqi: { name: 'AQI xấu', type: 'aqi', kind: 'environment', params: { minBand: 4 }, ...texts },
  streetlight_dark: {
    name: 'Đèn tối',
    type: 'streetlight_dark',
    params: { minPowerW: 5 },
    forS: 600,
    ...texts,
  },
  system: { name: 'Sao lưu', type: 'system', params: { check: 'backup' }, ...texts },
};

const errorsOf = (raw: unknown) => {
  const parsed = parseWithFieldErrors(RuleInput, raw);
  if (parsed.success) throw new Error(`expected a refusal of ${JSON.stringify(raw)}`);
  return parsed.errors;
};

describe('rule forms', () => {
  it.each(ruleTypes)('takes a %s rule as its form writes it', (type) => {
    const parsed = parseWithFieldErrors(RuleInput, valid[type]);
    expect(parsed.success).toBe(true);
  });

  it.each([
    // [type, change, field, Vietnamese, English]
    ['threshold', { metric: undefined }, 'metric', 'bắt buộc', 'is required for a rule of type threshold'],
    [
      'threshold',
      { comparison: '>>' },
      'comparison',
      'phải là một trong: >, >=',
      'must be one of: >, >=, <, <=, =',
    ],
    [
      'threshold',
      { threshold: undefined },
      'threshold',
      'bắt buộc',
      'is required for a threshold rule without params.limit',
    ],
    ['threshold', { params: { limit: 'qcvn05' } }, 'params.limit', 'phải là qcvn26', 'must be qcvn26'],
    [
      'threshold',
      { params: { clearBelowDb: 3 } },
      'params.clearBelowDb',
      'params.limit',
      'goes with params.limit only',
    ],
    ['threshold', { forS: -1 }, 'forS', 'phải ≥ 0', 'must be ≥ 0'],
    ['rate_of_rise', { params: { rise: '8', windowS: 60 } }, 'params.rise', 'phải là số', 'must be a number'],
    ['rate_of_rise', { params: { rise: 8 } }, 'params.windowS', 'bắt buộc', 'is required'],
    [
      'rate_of_rise',
      { forS: 30 },
      'forS',
      'không dùng trường này',
      'is not a field of a rule of type rate_of_rise',
    ],
    [
      'offline',
      { params: { intervals: 3, minutes: 30 } },
      'params.minutes',
      'không cả hai',
      'use intervals or minutes, not both',
    ],
    ['offline', { params: { minutes: 0 } }, 'params.minutes', 'phải ≥ 1', 'must be ≥ 1'],
    [
      'last_will',
      { params: { eventType: 'x' } },
      'params.eventType',
      'không dùng',
      'is not a field of a rule of type last_will',
    ],
    ['event', { params: {} }, 'params.eventType', 'bắt buộc', 'is required'],
    [
      'event',
      { params: { eventType: 'Tamper!' } },
      'params.eventType',
      'không đúng định dạng',
      'has the wrong format',
    ],
    ['aqi', { params: { minBand: 7 } }, 'params.minBand', 'phải ≤ 6', 'must be ≤ 6'],
    [
      'aqi',
      { params: { minBand: 4, minAqi: 150 } },
      'params.minBand',
      'đúng một',
      'needs exactly one of minBand, minAqi',
    ],
    ['aqi', { metric: 'pm25' }, 'metric', 'không dùng trường này', 'is not a field of a rule of type aqi'],
    ['streetlight_dark', { params: { minPowerW: -1 } }, 'params.minPowerW', 'phải ≥ 0', 'must be ≥ 0'],
    ['system', { params: { check: 'disk' } }, 'params.check', 'phải là backup', 'must be backup'],
    // Fields every form has: scope, schedule, texts.
    [
      'threshold',
      { windowStart: 1260 },
      'windowEnd',
      'đi cùng nhau',
      'windowStart and windowEnd go together',
    ],
    ['threshold', { windowStart: 1440, windowEnd: 360 }, 'windowStart', 'phải ≤ 1439', 'must be ≤ 1439'],
    ['threshold', { days: ['mon', 'funday'] }, 'days.1', 'phải là một trong', 'must be one of: sun, mon'],
    ['threshold', { deviceId: 'a-b-c', deviceIds: ['d-e-f'] }, 'deviceIds', 'không cả hai', 'not both'],
    ['threshold', { deviceIds: [] }, 'deviceIds', 'ít nhất 1 mục', 'at least 1 items'],
    ['threshold', { messageVi: '' }, 'messageVi', 'không được để trống', 'must not be empty'],
    ['threshold', { name: 'x'.repeat(201) }, 'name', 'tối đa 200 ký tự', 'at most 200 characters'],
    ['event', { instructions: { vi: 'Gọi 113' } }, 'instructions.en', 'bắt buộc', 'is required'],
  ] as const)('refuses a %s rule with %j, naming %s', (type, change, field, vi, en) => {
    const errors = errorsOf({ ...valid[type], ...change });
    const error = errors.find((e) => e.field === field);
    expect(error, JSON.stringify(errors)).toBeDefined();
    expect(error!.vi).toContain(vi);
    expect(error!.en).toContain(en);
  });

  it('names the rule types when the type is missing or unknown', () => {
    const [missing] = errorsOf({ name: 'x', ...texts });
    expect(missing).toMatchObject({ field: 'type', vi: expect.stringContaining('bắt buộc') });
    const [unknown] = errorsOf({ ...valid.threshold, type: 'flood' });
    expect(unknown!.en).toBe(`must be one of the rule types: ${ruleTypes.join(', ')}`);
  });
});

describe('stored rules', () => {
  it('ships defaults that all parse by their type, each type used at least once', () => {
    const rules = loadDefaultRules();
    expect(new Set(rules.map((r) => r.type))).toEqual(new Set(ruleTypes));
    // loadDefaultRules parses each by its form; the engine then reads its params by its type.
    for (const rule of rules) expect(typedRule(ruleOf(rule as RuleInput)).type).toBe(rule.type);
  });

  it('reads params stored before they were typed, dropping keys no type uses', () => {
    const row = { ...ruleOf(RuleInput.parse(valid.offline)), params: { intervals: 3, colour: 'red' } };
    expect(typedRule(row).params).toEqual({ intervals: 3 });
    expect(() => typedRule({ ...row, type: 'rate_of_rise', params: { rise: 'fast' } } as Rule)).toThrow(
      /params\.rise: phải là số.*\/ params\.rise: must be a number/,
    );
  });

  it("turns a stored rule back into its type's form, without the other types' columns", () => {
    const row: Rule = {
      ...ruleOf(RuleInput.parse(valid.aqi)),
      id: 7,
      key: 'aqi-bad',
      // A column the aqi form does not have, as older rows may carry.
      metric: 'pm25',
    };
    const input = inputOf(row);
    expect(input).not.toHaveProperty('metric');
    expect(input).not.toHaveProperty('id');
    expect(RuleInput.parse(input)).toMatchObject({ key: 'aqi-bad', type: 'aqi', params: { minBand: 4 } });
  });
});
