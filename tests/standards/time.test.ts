import { describe, expect, it } from 'vitest';
import {
  energyAverage,
  isDark,
  isWithinLocalWindow,
  localMidnight,
  localParts,
  noiseLimit,
} from '../../src/standards/index.ts';

describe('QCVN 26:2010 day and night (Asia/Ho_Chi_Minh)', () => {
  it.each([
    ['2026-11-22T22:59:00Z', 'special', 45, 'night'], // 05:59 local
    ['2026-11-22T23:00:00Z', 'special', 55, 'day'], // 06:00 local
    ['2026-11-23T13:59:00Z', 'normal', 70, 'day'], // 20:59 local
    ['2026-11-23T14:00:00Z', 'normal', 55, 'night'], // 21:00 local
  ] as const)('%s in a %s area: %d dBA (%s)', (at, zone, limitDb, period) => {
    expect(noiseLimit(zone, new Date(at))).toEqual({ limitDb, period });
  });

  it('averages levels by energy, not arithmetically', () => {
    expect(energyAverage([60, 70])).toBeCloseTo(67.4, 1);
  });

  it('treats windows that wrap midnight, start inclusive and end exclusive', () => {
    expect(isWithinLocalWindow(new Date('2026-11-23T14:00:00Z'), 1260, 360)).toBe(true); // 21:00
    expect(isWithinLocalWindow(new Date('2026-11-22T22:59:00Z'), 1260, 360)).toBe(true); // 05:59
    expect(isWithinLocalWindow(new Date('2026-11-22T23:00:00Z'), 1260, 360)).toBe(false); // 06:00
  });

  it('starts the local day at 17:00 UTC', () => {
    expect(localMidnight(new Date('2026-11-22T17:00:00Z')).toISOString()).toBe('2026-11-22T17:00:00.000Z');
    expect(localMidnight(new Date('2026-11-22T16:59:59Z')).toISOString()).toBe('2026-11-21T17:00:00.000Z');
    expect(localParts(new Date('2026-11-22T17:30:00Z'))).toMatchObject({
      year: 2026,
      month: 11,
      day: 23,
      hour: 0,
      minute: 30,
    });
  });
});

describe('daylight for streetlights', () => {
  const hcmc = [10.78, 106.7] as const;
  // Almanac times for Ho Chi Minh City: 21 Dec 2026 sunrise ≈ 06:06, sunset ≈ 17:32 local.
  it.each([
    ['2026-12-20T23:00:00Z', true], // 06:00 local, before sunrise
    ['2026-12-20T23:15:00Z', false], // 06:15 local
    ['2026-12-21T10:25:00Z', false], // 17:25 local
    ['2026-12-21T10:40:00Z', true], // 17:40 local
    ['2026-06-21T11:05:00Z', false], // 18:05 local in June, still light
    ['2026-06-21T05:00:00Z', false], // noon
    ['2026-06-20T17:00:00Z', true], // midnight
  ])('at %s it is dark: %s', (at, dark) => {
    expect(isDark(new Date(at), ...hcmc)).toBe(dark);
  });
});
