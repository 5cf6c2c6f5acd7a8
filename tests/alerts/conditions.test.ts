import { describe, expect, it } from 'vitest';
import { conditionCleared, conditionMet } from '../../src/alerts/conditions.ts';
import { appliesTo, loadDefaultRules, type Rule, renderMessage } from '../../src/alerts/rules.ts';
import { noiseStandards } from '../../src/standards/index.ts';

describe('threshold conditions', () => {
  it.each([
    ['>', 71, 70, true],
    ['>', 70, 70, false],
    ['>=', 70, 70, true],
    ['<', 179, 180, true],
    ['<=', 180, 180, true],
    ['=', 1, 1, true],
    ['=', 0, 1, false],
  ] as const)('%s: %d against %d is %s', (comparison, value, threshold, met) => {
    expect(conditionMet(comparison, value, threshold)).toBe(met);
  });

  it.each([
    // > 70, clears below 67: a value between them keeps the alert
    [{ comparison: '>', threshold: 70, clearValue: 67 }, 68, false],
    [{ comparison: '>', threshold: 70, clearValue: 67 }, 66.9, true],
    // < 180 (under-voltage), clears above 190
    [{ comparison: '<', threshold: 180, clearValue: 190 }, 185, false],
    [{ comparison: '<', threshold: 180, clearValue: 190 }, 191, true],
    // no clear value: clears as soon as the condition stops
    [{ comparison: '>', threshold: 70, clearValue: null }, 70, true],
    [{ comparison: '=', threshold: 1, clearValue: null }, 0, true],
  ] as const)('hysteresis %j at %d clears: %s', (rule, value, cleared) => {
    expect(conditionCleared(rule, value)).toBe(cleared);
  });
});

describe('rules', () => {
  it('ships defaults that all parse, with unique keys and texts in both languages', () => {
    const rules = loadDefaultRules();
    expect(new Set(rules.map((r) => r.key)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.messageVi).not.toBe(rule.messageEn);
    }
    // Noise: the limit of the QCVN 26 version in force, by zone, in each version's day and night.
    const noise = Object.fromEntries(
      rules
        .filter((r) => r.metric === 'laeq_db')
        .map((r) => [r.key, [r.zone, r.params.limit, r.threshold, r.windowStart, r.windowEnd]]),
    );
    expect(noise).toEqual({
      'noise-special-day': ['special', 'qcvn26', undefined, 360, 1260],
      'noise-special-night': ['special', 'qcvn26', undefined, 1260, 360],
      'noise-normal-day': ['normal', 'qcvn26', undefined, 360, 1260],
      'noise-normal-night': ['normal', 'qcvn26', undefined, 1260, 360],
    });
    for (const standard of noiseStandards)
      expect(standard.day).toEqual({ startMinute: 360, endMinute: 1260 });
  });

  it('matches a device only when every scope field set on the rule agrees', () => {
    const rule = {
      enabled: true,
      kind: 'noise',
      city: null,
      ward: null,
      zone: 'special',
      deviceId: null,
    } as Rule;
    const device = {
      id: 'x',
      kind: 'noise',
      city: 'hoi-an',
      ward: 'phuong-hoi-an',
      zone: 'special',
    } as const;
    expect(appliesTo(rule, device)).toBe(true);
    expect(appliesTo(rule, { ...device, zone: 'normal' })).toBe(false);
    expect(appliesTo(rule, { ...device, kind: 'fire' })).toBe(false);
    expect(appliesTo({ ...rule, enabled: false }, device)).toBe(false);
  });

  it('renders placeholders and leaves unknown ones as written', () => {
    expect(
      renderMessage('Ồn {value} {unit} tại {ward} {nope}', { value: 71.26, unit: 'dBA', ward: 'Hội An' }),
    ).toBe('Ồn 71.3 dBA tại Hội An {nope}');
  });
});
