// Local time of Asia/Ho_Chi_Minh: UTC+7 all year, so the local day starts at 17:00 UTC.
import { describe, expect, it } from 'vitest';
import { isWithinLocalWindow, localMidnight, localParts } from '../../src/standards/index.ts';

describe('local day boundaries', () => {
  it.each([
    ['2026-11-22T17:00:00Z', '2026-11-22T17:00:00.000Z'], // local 00:00 on the 23rd
    ['2026-11-22T16:59:59.999Z', '2026-11-21T17:00:00.000Z'], // local 23:59:59.999 on the 22nd
    ['2026-11-23T05:00:00Z', '2026-11-22T17:00:00.000Z'],
    ['2026-12-31T17:00:00Z', '2026-12-31T17:00:00.000Z'], // local new year
    ['1969-12-31T20:00:00Z', '1969-12-31T17:00:00.000Z'], // negative epoch milliseconds
  ])('the local day of %s starts at %s', (at, midnight) => {
    expect(localMidnight(new Date(at)).toISOString()).toBe(midnight);
  });

  it.each([
    [
      '2026-11-22T16:59:00Z',
      { year: 2026, month: 11, day: 22, hour: 23, minute: 59, minuteOfDay: 1439, dayOfWeek: 0 },
    ],
    [
      '2026-11-22T17:00:00Z',
      { year: 2026, month: 11, day: 23, hour: 0, minute: 0, minuteOfDay: 0, dayOfWeek: 1 },
    ],
    [
      '2026-12-31T17:30:00Z',
      { year: 2027, month: 1, day: 1, hour: 0, minute: 30, minuteOfDay: 30, dayOfWeek: 5 },
    ],
    [
      '2028-02-28T18:00:00Z',
      { year: 2028, month: 2, day: 29, hour: 1, minute: 0, minuteOfDay: 60, dayOfWeek: 2 },
    ],
  ])('%s is local %o', (at, parts) => {
    expect(localParts(new Date(at))).toEqual(parts);
  });
});

describe('local windows', () => {
  it.each([
    // 21:00 → 06:00 wraps midnight
    ['2026-11-23T13:59:00Z', 1260, 360, false], // 20:59
    ['2026-11-23T14:00:00Z', 1260, 360, true], // 21:00, start inclusive
    ['2026-11-23T17:00:00Z', 1260, 360, true], // 00:00
    ['2026-11-22T22:59:00Z', 1260, 360, true], // 05:59
    ['2026-11-22T23:00:00Z', 1260, 360, false], // 06:00, end exclusive
    // 06:00 → 21:00 does not
    ['2026-11-22T22:59:00Z', 360, 1260, false],
    ['2026-11-22T23:00:00Z', 360, 1260, true],
    ['2026-11-23T13:59:00Z', 360, 1260, true],
    ['2026-11-23T14:00:00Z', 360, 1260, false],
    // start = end is empty
    ['2026-11-23T14:00:00Z', 1260, 1260, false],
  ])('%s in [%d, %d): %s', (at, start, end, inside) => {
    expect(isWithinLocalWindow(new Date(at), start, end)).toBe(inside);
  });
});
