// The daily VN_AQI of a ward and of the city: each station's daily AQI (Decision 1459/QĐ-TCMT) from
// the inputs the database prepared, then the worst station per area — the province is told about
// the worst air people breathe there — and the day counted in that AQI's category.
import { dailyAqi } from '../standards/index.ts';
import type { DailyAqiRow, DayComponent } from '../storage/rollups.ts';
import { aqiCategoryKeys } from './indicators.ts';

/** good … hazardous, by the VN_AQI bands (0–50, 51–100, 101–150, 151–200, 201–300, 301+). */
export function aqiCategoryKey(aqi: number): (typeof aqiCategoryKeys)[number] {
  const band = [50, 100, 150, 200, 300].findIndex((upper) => aqi <= upper);
  return aqiCategoryKeys[band === -1 ? 5 : band]!;
}

const orUndefined = (v: number | null) => (v === null ? undefined : Number(v));

export function areaAqiComponents(stations: readonly DailyAqiRow[]): DayComponent[] {
  const worst = new Map<string, { day: string; city: string; ward: string; aqi: number }>();
  for (const s of stations) {
    const result = dailyAqi({
      pm25_24h: orUndefined(s.pm25_24h),
      pm10_24h: orUndefined(s.pm10_24h),
      o3_1hMax: orUndefined(s.o3_1hMax),
      o3_8hMax: orUndefined(s.o3_8hMax),
      no2_1hMax: orUndefined(s.no2_1hMax),
      so2_1hMax: orUndefined(s.so2_1hMax),
      co_1hMax: orUndefined(s.co_1hMax),
    });
    if (!result) continue; // no PM2.5 nor PM10 that day: no VN_AQI
    for (const ward of [s.ward, '']) {
      const key = `${s.day}|${s.city}|${ward}`;
      const current = worst.get(key);
      if (!current || result.aqi > current.aqi)
        worst.set(key, { day: s.day, city: s.city, ward, aqi: result.aqi });
    }
  }
  return [...worst.values()].flatMap(({ day, city, ward, aqi }) => [
    { day, city, ward, indicator: 'aqi_daily', dim: '', sum: aqi, count: 1, max: aqi },
    { day, city, ward, indicator: 'aqi_category_days', dim: aqiCategoryKey(aqi), sum: 1, count: 1, max: 1 },
  ]);
}
