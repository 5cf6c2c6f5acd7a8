// QCVN 26 noise limits as versions: QCVN 26:2010/BTNMT until QCVN 26:2025/BNNMT takes effect on
// 14 Nov 2025 00:00 in Vietnam (2025-11-13T17:00Z); day 06:00–21:00, night 21:00–06:00 local (UTC+7).
import { describe, expect, it } from 'vitest';
import {
  energyAverage,
  type NoiseStandard,
  noiseHourLimits,
  noiseLimit,
  noiseStandardAt,
  noiseStandards,
  noiseStandardsDuring,
  qcvn26of2010,
} from '../../src/standards/index.ts';

describe('the version in force', () => {
  it.each([
    ['2010-12-16T00:00:00Z', 'QCVN 26:2010/BTNMT'],
    ['2025-11-13T16:59:59.999Z', 'QCVN 26:2010/BTNMT'], // 13 Nov 2025, 23:59:59.999 in Vietnam
    ['2025-11-13T17:00:00Z', 'QCVN 26:2025/BNNMT'], // 14 Nov 2025, 00:00 in Vietnam
    ['2026-11-23T05:00:00Z', 'QCVN 26:2025/BNNMT'],
  ])('at %s is %s', (at, name) => {
    expect(noiseStandardAt(new Date(at)).name).toBe(name);
  });

  it('names the 2025 limits unconfirmed: they stand in with the 2010 values until confirmed from the text', () => {
    expect(noiseStandardAt(new Date('2025-11-13T17:00:00Z'))).toMatchObject({
      issuedWith: 'Thông tư 01/2025/TT-BNNMT',
      confirmed: false,
    });
    expect(qcvn26of2010.confirmed).toBe(true);
  });

  it('gives both versions for a period across the changeover, one for a period on either side', () => {
    const names = (from: string, to: string) =>
      noiseStandardsDuring(new Date(from), new Date(to)).map((s) => s.name);
    expect(names('2025-10-31T17:00:00Z', '2025-11-30T17:00:00Z')).toEqual([
      'QCVN 26:2010/BTNMT',
      'QCVN 26:2025/BNNMT',
    ]); // November 2025
    expect(names('2025-11-12T17:00:00Z', '2025-11-13T17:00:00Z')).toEqual(['QCVN 26:2010/BTNMT']); // 13 Nov
    expect(names('2025-11-13T17:00:00Z', '2025-11-14T17:00:00Z')).toEqual(['QCVN 26:2025/BNNMT']); // 14 Nov
  });

  it('keeps every day window on whole hours, so an hour bin is all day or all night', () => {
    for (const standard of noiseStandards) {
      expect(standard.day.startMinute % 60).toBe(0);
      expect(standard.day.endMinute % 60).toBe(0);
    }
  });
});

describe('limits by zone, local time and version', () => {
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
    expect(noiseLimit(zone, new Date(at))).toEqual({
      limitDb,
      period,
      standard: 'QCVN 26:2025/BNNMT',
      confirmed: false,
    });
  });

  it('names the version on each side of the changeover instant', () => {
    expect(noiseLimit('normal', new Date('2025-11-13T16:59:00Z'))).toEqual({
      limitDb: 55,
      period: 'night',
      standard: 'QCVN 26:2010/BTNMT',
      confirmed: true,
    });
    expect(noiseLimit('normal', new Date('2025-11-13T17:00:00Z'))).toMatchObject({
      standard: 'QCVN 26:2025/BNNMT',
    });
  });

  it('applies edited versions: a changed 2025 table takes effect at its instant, not before', () => {
    const edited: NoiseStandard[] = [
      qcvn26of2010,
      { ...noiseStandards[1]!, limits: { special: { day: 50, night: 40 }, normal: { day: 65, night: 50 } } },
    ];
    expect(noiseLimit('normal', new Date('2025-11-13T16:00:00Z'), edited).limitDb).toBe(55); // 23:00, 2010
    expect(noiseLimit('normal', new Date('2025-11-13T17:00:00Z'), edited).limitDb).toBe(50); // 00:00, 2025
    expect(noiseHourLimits(new Date('2025-11-14T05:00:00Z'), edited)).toEqual({
      standard: 'QCVN 26:2025/BNNMT',
      day: true,
      special: 50,
      normal: 65,
    });
    expect(qcvn26of2010.limits.normal.day).toBe(70);
  });

  it.each([
    ['2025-11-13T14:00:00Z', 'QCVN 26:2010/BTNMT', false], // 21:00 local, night
    ['2025-11-12T23:00:00Z', 'QCVN 26:2010/BTNMT', true], // 06:00 local
    ['2025-11-13T17:00:00Z', 'QCVN 26:2025/BNNMT', false], // 00:00 local, the first hour of 2025's
  ])('the hour bin from %s is judged by %s, day: %s', (hour, standard, day) => {
    expect(noiseHourLimits(new Date(hour))).toMatchObject({ standard, day });
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
