// VN_AQI against Decision 1459/QĐ-TCMT: its breakpoint table, its bands and its own worked examples
// (numbers retyped from the Decision here, so a typo in the source cannot test itself).
import { describe, expect, it } from 'vitest';
import {
  aqiCategories,
  aqiCategory,
  type DailyAqiInput,
  dailyAqi,
  dailyAqiDaysOf,
  hourlyAqi,
  nowCast,
  type Pollutant,
  subIndex,
} from '../../src/standards/index.ts';

const index = [0, 50, 100, 150, 200, 300, 400, 500];
const breakpoints: Array<[Pollutant, '1h' | '8h', number[]]> = [
  ['o3', '1h', [0, 160, 200, 300, 400, 800, 1000, 1200]],
  ['o3', '8h', [0, 100, 120, 170, 210, 400]],
  ['co', '1h', [0, 10000, 30000, 45000, 60000, 90000, 120000, 150000]],
  ['so2', '1h', [0, 125, 350, 550, 800, 1600, 2100, 2630]],
  ['no2', '1h', [0, 100, 200, 700, 1200, 2350, 3100, 3850]],
  ['pm10', '1h', [0, 50, 150, 250, 350, 420, 500, 600]],
  ['pm25', '1h', [0, 25, 50, 80, 150, 250, 350, 500]],
];

describe('sub-indices (Decision 1459 breakpoint table)', () => {
  it.each(
    breakpoints.flatMap(([pollutant, column, bps]) =>
      bps.map((bp, i) => [pollutant, column, bp, index[i]!] as const),
    ),
  )('%s (%s) at its breakpoint %d µg/m³ is exactly %d', (pollutant, column, bp, expected) => {
    expect(subIndex(pollutant, bp, column)).toBeCloseTo(expected, 9);
  });

  it.each([
    ['pm25', 37.5, 75], // halfway between 25 and 50
    ['pm10', 385, 250], // halfway between 350 and 420
    ['co', 20000, 75],
  ] as const)('interpolates linearly: %s %d µg/m³ → %d', (pollutant, concentration, expected) => {
    expect(subIndex(pollutant, concentration)).toBeCloseTo(expected, 9);
  });

  it.each([
    ['pm25', 501],
    ['pm10', 5000],
    ['o3', 1500],
    ['co', 200000],
  ] as const)('caps %s %d µg/m³, above the last row, at 500', (pollutant, concentration) => {
    expect(subIndex(pollutant, concentration)).toBe(500);
  });

  it.each([undefined, -1, Number.NaN, Number.POSITIVE_INFINITY])('has no sub-index for %s', (value) => {
    expect(subIndex('pm25', value)).toBeUndefined();
  });

  it('has no 8h O3 sub-index above 400 µg/m³, where the 8h column ends', () => {
    expect(subIndex('o3', 401, '8h')).toBeUndefined();
  });
});

describe('NowCast', () => {
  // Decision 1459's example: PM2.5 hourly means 09:00 → 20:00; c1 is 20:00, so read newest first.
  const example = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6].reverse();

  it("gives the decision's 20.3 for its PM2.5 series, with w* ≈ 0.61 over all 12 hours", () => {
    expect(Math.min(...example) / Math.max(...example)).toBeCloseTo(0.61, 2);
    expect(nowCast(example)!.toFixed(1)).toBe('20.3');
  });

  it.each<[string, Array<number | undefined>, number | undefined]>([
    ['only c1 of c1..c3', [30, undefined, undefined, 25, 25], undefined],
    ['only c3 of c1..c3', [undefined, undefined, 30, 25], undefined],
    ['no hours', [], undefined],
    ['c1 and c3 (c2 missing drops out)', [30, undefined, 30], 30],
    ['c2 and c3 (c1 missing drops out)', [undefined, 20, 20], 20],
    ['steady hours', [20, 20, 20], 20],
    ['w* = 1/4 → w = 1/2: (40 + ½·10)/(1 + ½)', [40, 10], 30],
    ['w* = 3/4 → w = 3/4: (40 + ¾·30)/(1 + ¾)', [40, 30], 62.5 / 1.75],
    ['w = 1/2 with a gap: (40 + ¼·10)/(1 + ¼)', [40, undefined, 10], 42.5 / 1.25],
    ['a 13th hour is ignored', [20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 1000], 20],
    ['a negative hour counts as missing', [20, -5, 20], 20],
    ['all zero', [0, 0, 0], 0],
  ])('%s', (_, hours, expected) => {
    const value = nowCast(hours);
    if (expected === undefined) expect(value).toBeUndefined();
    else expect(value).toBeCloseTo(expected, 9);
  });
});

describe("the decision's worked examples", () => {
  // [pollutant, µg/m³, column, formula, printed]: each as the daily AQI rounds it
  const printed: Array<[Pollutant, number, '1h' | '8h', number, number]> = [
    ['o3', 136.1, '1h', 42.53125, 43],
    ['pm25', 20.3, '1h', 40.6, 41],
    ['o3', 89.3, '8h', 44.65, 45],
    ['o3', 114.6, '1h', 35.8125, 36],
    ['no2', 130.8, '1h', 65.4, 65],
    ['pm25', 55.7, '1h', 109.5, 110], // a half, rounded up
  ];
  const dailyInput = (p: Pollutant, c: number, column: '1h' | '8h'): DailyAqiInput => {
    if (p === 'o3') return { pm25_24h: 0, [column === '8h' ? 'o3_8hMax' : 'o3_1hMax']: c };
    return p === 'pm25' ? { pm25_24h: c } : { pm25_24h: 0, no2_1hMax: c };
  };

  it.each(printed)(
    '%s %d µg/m³ (%s): formula %d, printed and computed %d',
    (p, c, column, formula, shown) => {
      expect(subIndex(p, c, column)).toBeCloseTo(formula, 9);
      expect(dailyAqi(dailyInput(p, c, column))!.subIndices[p]).toBe(shown);
    },
  );

  it('hourly: O3 43, NO2 59.35 → 59, PM2.5 41 give AQI 59 (the Decision prints 60), NO2 dominant', () => {
    // "Làm tròn thành số nguyên" (2.2.1 c) is rounding to the nearest integer: 59.35 is 59. The Decision
    // prints 60, which no rounding to nearest gives; the band (Trung bình) is the same either way.
    expect(subIndex('no2', 118.7)).toBeCloseTo(59.35, 9);
    const result = hourlyAqi({ pm25NowCast: 20.3, o3_1h: 136.1, no2_1h: 118.7 })!;
    expect(result.subIndices).toEqual({ pm25: 41, o3: 43, no2: 59 });
    expect(result).toMatchObject({ aqi: 59, dominant: 'no2' });
    expect(result.category).toMatchObject({ band: 2, vi: 'Trung bình', en: 'Moderate', colour: '#ffff00' });
  });

  it('daily: O3 max(45, 36) = 45, NO2 65.4 → 65, PM2.5 109.5 → 110 give AQI 110 (Kém), PM2.5 dominant', () => {
    const result = dailyAqi({ o3_8hMax: 89.3, o3_1hMax: 114.6, no2_1hMax: 130.8, pm25_24h: 55.7 })!;
    expect(result).toMatchObject({ aqi: 110, dominant: 'pm25' });
    expect(result.subIndices).toEqual({ o3: 45, no2: 65, pm25: 110 });
    expect(result.category).toMatchObject({ band: 3, vi: 'Kém', en: 'Poor', colour: '#ff7e00' });
  });
});

describe('the days an hour of data can change (Decision 1459, 8-hour O3 windows)', () => {
  it.each([
    ['2026-11-17T16:00:00+07:00', ['2026-11-17']],
    ['2026-11-17T17:00:00+07:00', ['2026-11-17', '2026-11-18']], // the bin ending 18:00 starts day 18's first window
    ['2026-11-17T23:00:00+07:00', ['2026-11-17', '2026-11-18']],
    ['2026-11-18T00:00:00+07:00', ['2026-11-18']],
    ['2026-12-31T20:00:00+07:00', ['2026-12-31', '2027-01-01']],
  ])('the hour bin starting %s: %j', (hour, days) => {
    expect(dailyAqiDaysOf(new Date(hour))).toEqual(days);
  });
});

describe('hourly and daily AQI', () => {
  it.each([
    ['only gases', { o3_1h: 150, no2_1h: 90 }],
    ['nothing', {}],
    ['PM2.5 not computable', { pm25NowCast: -1, o3_1h: 150 }],
  ])('needs PM2.5 or PM10: %s gives none', (_, input) => {
    expect(hourlyAqi(input)).toBeUndefined();
  });

  it('works with PM10 alone and lists only the sub-indices it has', () => {
    expect(hourlyAqi({ pm10NowCast: 100 })).toMatchObject({
      aqi: 75,
      dominant: 'pm10',
      subIndices: { pm10: 75 },
    });
  });

  it('caps the AQI at 500 above the table', () => {
    expect(hourlyAqi({ pm10NowCast: 700 })).toMatchObject({ aqi: 500, category: { band: 6 } });
  });

  it.each([
    ['the 8h one when larger', { o3_1hMax: 160, o3_8hMax: 120 }, 100],
    ['the 1h one when larger', { o3_1hMax: 400, o3_8hMax: 120 }, 200],
    ['only the 1h one when the 8h max exceeds 400', { o3_1hMax: 500, o3_8hMax: 450 }, 225],
    ['the 8h one alone', { o3_8hMax: 100 }, 50],
  ])('daily O3 takes %s', (_, o3, expected) => {
    expect(dailyAqi({ pm25_24h: 10, ...o3 })!.subIndices.o3).toBe(expected);
  });

  it.each([
    [25, 50, 'Tốt'],
    [25.01, 50, 'Tốt'], // 50.02 rounds to 50: rounding does not move a band's edge
    [25.25, 51, 'Trung bình'], // 50.5, a half, rounds up
    [50, 100, 'Trung bình'],
    [50.3, 101, 'Kém'], // 100.6
  ])('PM2.5 %d µg/m³ gives AQI %d (%s)', (pm25, aqi, vi) => {
    expect(hourlyAqi({ pm25NowCast: pm25 })).toMatchObject({ aqi, category: { vi } });
  });
});

describe('bands (Decision 1459, Table 1)', () => {
  it.each([
    [0, 1, 'Tốt', 'Good', '#00e400'],
    [50, 1, 'Tốt', 'Good', '#00e400'],
    [51, 2, 'Trung bình', 'Moderate', '#ffff00'],
    [100, 2, 'Trung bình', 'Moderate', '#ffff00'],
    [101, 3, 'Kém', 'Poor', '#ff7e00'],
    [150, 3, 'Kém', 'Poor', '#ff7e00'],
    [151, 4, 'Xấu', 'Bad', '#ff0000'],
    [200, 4, 'Xấu', 'Bad', '#ff0000'],
    [201, 5, 'Rất xấu', 'Very bad', '#8f3f97'],
    [300, 5, 'Rất xấu', 'Very bad', '#8f3f97'],
    [301, 6, 'Nguy hại', 'Hazardous', '#7e0023'],
    [500, 6, 'Nguy hại', 'Hazardous', '#7e0023'],
    [650, 6, 'Nguy hại', 'Hazardous', '#7e0023'],
  ])('AQI %d is band %d, %s / %s (%s)', (aqi, band, vi, en, colour) => {
    expect(aqiCategory(aqi)).toMatchObject({ band, vi, en, colour });
  });

  it.each([...aqiCategories])(
    'band $band ($vi) has its hex colour from its RGB and advice in both languages',
    (c) => {
      expect(c.colour).toBe(`#${c.rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`);
      expect(c.adviceVi.length).toBeGreaterThan(20);
      expect(c.adviceEn.length).toBeGreaterThan(20);
    },
  );

  it('covers 0–500 without gaps', () => {
    expect(aqiCategories.map((c) => [c.min, c.max])).toEqual([
      [0, 50],
      [51, 100],
      [101, 150],
      [151, 200],
      [201, 300],
      [301, 500],
    ]);
  });
});
