// VN_AQI against the worked examples of Decision 1459/QĐ-TCMT (see ../shared/standards.md).
import { describe, expect, it } from 'vitest';
import { aqiCategory, dailyAqi, hourlyAqi, nowCast, subIndex } from '../../src/standards/index.ts';

// PM2.5 hourly means 09:00 → 20:00; c1 is 20:00, so the list is read newest first.
const pm25 = [26.9, 24.7, 20.5, 23.5, 19.5, 16.5, 19.0, 16.5, 20.3, 22.4, 19.6, 20.6].reverse();

describe('NowCast', () => {
  it("gives the decision's 20.3 for its PM2.5 series (w* ≈ 0.61)", () => {
    expect(Math.min(...pm25) / Math.max(...pm25)).toBeCloseTo(0.61, 2);
    expect(nowCast(pm25)!.toFixed(1)).toBe('20.3');
  });

  it('needs at least two of the last three hours, and drops missing hours from both sums', () => {
    expect(nowCast([30, undefined, undefined, 25])).toBeUndefined();
    expect(nowCast([30, undefined, 20])).toBeDefined();
    expect(nowCast([20, 20])).toBe(20);
    // w = 1/2 when the series varies more than twofold: (40 + 0.5·10) / 1.5
    expect(nowCast([40, 10])).toBeCloseTo(30, 6);
  });
});

describe('sub-indices and AQI', () => {
  it("reproduces the decision's hourly example: O3 43, NO2 60, PM2.5 41 → AQI 60", () => {
    const result = hourlyAqi({ pm25NowCast: 20.3, o3_1h: 136.1, no2_1h: 118.7 })!;
    expect(result.subIndices).toEqual({ pm25: 41, o3: 43, no2: 60 });
    expect(result.aqi).toBe(60);
    expect(result.dominant).toBe('no2');
    expect(result.category).toMatchObject({ vi: 'Trung bình', en: 'Moderate', colour: '#ffff00' });
  });

  it("reproduces the decision's daily AQI 110 (O3 from the larger of 1h and 8h)", () => {
    const result = dailyAqi({ o3_8hMax: 89.3, o3_1hMax: 114.6, no2_1hMax: 130.8, pm25_24h: 55.7 })!;
    expect(result.aqi).toBe(110);
    expect(result.dominant).toBe('pm25');
    expect(result.subIndices.o3).toBe(45);
    expect(result.category.vi).toBe('Kém');
    // The one printed number no single rounding rule reproduces: 65.4 is printed 65, rounding up gives 66.
    expect(subIndex('no2', 130.8)).toBeCloseTo(65.4, 1);
    expect(result.subIndices.no2).toBe(66);
  });

  it('needs PM2.5 or PM10, and caps at 500 above the table', () => {
    expect(hourlyAqi({ o3_1h: 150 })).toBeUndefined();
    expect(hourlyAqi({ pm10NowCast: 700 })!.aqi).toBe(500);
  });

  it('uses only the 1h O3 sub-index when the 8h maximum exceeds 400', () => {
    expect(dailyAqi({ pm25_24h: 10, o3_8hMax: 450, o3_1hMax: 500 })!.subIndices.o3).toBe(
      Math.ceil(subIndex('o3', 500)!),
    );
  });

  it.each([
    [50, 'Tốt', '#00e400'],
    [51, 'Trung bình', '#ffff00'],
    [100, 'Trung bình', '#ffff00'],
    [101, 'Kém', '#ff7e00'],
    [150, 'Kém', '#ff7e00'],
    [151, 'Xấu', '#ff0000'],
    [200, 'Xấu', '#ff0000'],
    [201, 'Rất xấu', '#8f3f97'],
    [300, 'Rất xấu', '#8f3f97'],
    [301, 'Nguy hại', '#7e0023'],
    [500, 'Nguy hại', '#7e0023'],
  ])('AQI %d is %s (%s)', (aqi, vi, colour) => {
    expect(aqiCategory(aqi)).toMatchObject({ vi, colour });
  });

  it.each([
    ['pm25', 25, 50],
    ['pm25', 50, 100],
    ['pm10', 150, 100],
    ['co', 10_000, 50],
    ['so2', 350, 100],
  ] as const)('%s at its breakpoint %d gives exactly %d', (pollutant, concentration, index) => {
    expect(subIndex(pollutant, concentration)).toBe(index);
  });
});
