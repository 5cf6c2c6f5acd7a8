import { describe, expect, it } from 'vitest';
import { createAqiTracker } from '../../src/alerts/aqiTracker.ts';
import { hourlyAqi, nowCast } from '../../src/standards/index.ts';

const hour = 3_600_000;
const t0 = Date.parse('2026-11-22T00:00:00Z');

describe('hourly VN_AQI per station', () => {
  it('gives nothing until an hour completes, then the hour NowCast and gas AQI', () => {
    const tracker = createAqiTracker();
    // Three hours of PM2.5 at 30 µg/m³, then the fourth hour's first reading completes the third.
    for (let h = 0; h < 3; h++) {
      for (let m = 0; m < 60; m += 10) {
        expect(
          tracker.add('s1', new Date(t0 + h * hour + m * 60_000), { pm25: 30, no2: 50 })?.aqi ?? 'none',
        ).not.toBe(undefined);
      }
    }
    const result = tracker.add('s1', new Date(t0 + 3 * hour), { pm25: 30 })!;
    expect(result.hourStart.toISOString()).toBe('2026-11-22T02:00:00.000Z');
    expect(result.subIndices.pm25).toBe(60); // NowCast 30 → (100−50)/(50−25)·(30−25)+50 = 60
    expect(result.aqi).toBe(60);
    expect(result.category.vi).toBe('Trung bình');
  });

  it('needs two of the last three hours for PM (a station just installed has no AQI yet)', () => {
    const tracker = createAqiTracker();
    tracker.add('s2', new Date(t0), { pm25: 200 });
    expect(tracker.add('s2', new Date(t0 + hour), { pm25: 200 })).toBeUndefined();
    // 200 µg/m³: (300 − 200)/(250 − 150)·(200 − 150) + 200 = 250
    expect(tracker.add('s2', new Date(t0 + 2 * hour), { pm25: 200 })).toMatchObject({
      aqi: 250,
      category: { vi: 'Rất xấu' },
    });
  });

  it('ignores a late reading for an hour already judged, and carries history across a restart', () => {
    const tracker = createAqiTracker();
    tracker.seed([
      { deviceId: 's3', metric: 'pm25', hour: new Date(t0), mean: 100 },
      { deviceId: 's3', metric: 'pm25', hour: new Date(t0 + hour), mean: 100 },
    ]);
    tracker.add('s3', new Date(t0 + 2 * hour), { pm25: 100 });
    expect(tracker.add('s3', new Date(t0 + hour + 60_000), { pm25: 1 })).toBeUndefined();
    const result = tracker.add('s3', new Date(t0 + 3 * hour), { pm25: 100 })!;
    expect(result.aqi).toBe(Math.round(((200 - 150) / (150 - 80)) * (100 - 80) + 150)); // 164.3 → 164
  });

  it('averages each pollutant over the hour from the readings that carry it, whatever else they carry', () => {
    const tracker = createAqiTracker();
    tracker.seed([
      { deviceId: 's4', metric: 'pm25', hour: new Date(t0 - 2 * hour), mean: 30 },
      { deviceId: 's4', metric: 'pm25', hour: new Date(t0 - hour), mean: 30 },
    ]);
    // Readings of different shapes, as stations with different sensors send them; temp_c is no pollutant.
    tracker.add('s4', new Date(t0), { o3: 100, no2: 40, temp_c: 31, pm25: 30 });
    tracker.add('s4', new Date(t0 + 60_000), { so2: 80, co: 9_000, o3: 200 });
    tracker.add('s4', new Date(t0 + 120_000), { no2: 80, co: 11_000, pm10: 60 });
    const result = tracker.add('s4', new Date(t0 + hour), { o3: 1, pm25: 30 })!;
    const expected = hourlyAqi({
      pm25NowCast: nowCast([30, 30, 30]),
      pm10NowCast: nowCast([60]),
      o3_1h: 150,
      no2_1h: 60,
      so2_1h: 80,
      co_1h: 10_000,
    })!;
    expect(result.subIndices).toEqual(expected.subIndices);
    expect(Object.keys(result.subIndices).sort()).toEqual(['co', 'no2', 'o3', 'pm25', 'so2']);
    // The next hour starts from nothing: only what it had (o3, pm25) counts.
    const next = tracker.add('s4', new Date(t0 + 2 * hour), { pm25: 30 })!;
    expect(next.subIndices).toEqual(
      hourlyAqi({ pm25NowCast: nowCast([30, 30, 30, 30]), pm10NowCast: nowCast([undefined, 60]), o3_1h: 1 })!
        .subIndices,
    );
  });
});
