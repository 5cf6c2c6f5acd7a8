// QCVN 26:2010/BTNMT noise limits: day 06:00–21:00, night 21:00–06:00 local (Asia/Ho_Chi_Minh, UTC+7).
import { describe, expect, it } from 'vitest';
import { energyAverage, noiseLimit, qcvn26Limits } from '../../src/standards/index.ts';

describe('QCVN 26:2010 limits by local time', () => {
  it.each([
    ['2026-11-22T22:59:00Z', '05:59', 'special', 45, 'night'],
    ['2026-11-22T23:00:00Z', '06:00', 'special', 55, 'day'],
    ['2026-11-23T13:59:00Z', '20:59', 'special', 55, 'day'],
    ['2026-11-23T14:00:00Z', '21:00', 'special', 45, 'night'],
    ['2026-11-22T22:59:00Z', '05:59', 'normal', 55, 'night'],
    ['2026-11-22T23:00:00Z', '06:00', 'normal', 70, 'day'],
    ['2026-11-23T13:59:00Z', '20:59', 'normal', 70, 'day'],
    ['2026-11-23T14:00:00Z', '21:00', 'normal', 55, 'night'],
    ['2026-11-23T17:00:00Z', '00:00', 'normal', 55, 'night'],
    ['2026-11-23T05:00:00Z', '12:00', 'special', 55, 'day'],
  ] as const)('%s (%s local) in a %s area: %d dBA, %s', (at, _local, zone, limitDb, period) => {
    expect(noiseLimit(zone, new Date(at))).toEqual({ limitDb, period });
  });

  it('takes an edited rule set in place of the 2010 defaults', () => {
    const edited = { ...qcvn26Limits, normal: { day: 65, night: 50 } };
    expect(noiseLimit('normal', new Date('2026-11-23T05:00:00Z'), edited)).toEqual({
      limitDb: 65,
      period: 'day',
    });
    expect(qcvn26Limits.normal.day).toBe(70);
  });
});

describe('energy average (LAeq)', () => {
  it.each([
    [[60, 70], 67.4], // not 65: the arithmetic mean of decibels understates the loud interval
    [[70, 70, 70], 70],
    [[50], 50],
    [[0, 100], 97],
    [[55, 55, 65, 65], 62.4],
  ])('of %j is %d dB', (levels, expected) => {
    expect(energyAverage(levels)).toBeCloseTo(expected, 1);
  });

  it('is undefined for no levels', () => {
    expect(energyAverage([])).toBeUndefined();
  });
});
