// A station's airQualityIndex and airQualityLevel: the hourly VN_AQI (Decision 1459/QĐ-TCMT, hourly
// AQI) of the last complete hour before its newest reading: PM2.5 and PM10 by NowCast over up to 12
// hourly means, the gases by that hour's mean. The level is the category key the indicator feeds use.
import { hourlyAqi, nowCast } from '../../standards/index.ts';
import type { HourlyMean } from '../../storage/ngsiLd.ts';
import { aqiCategoryKey } from '../areaAqi.ts';
import type { StationAqi } from './entities.ts';

export const aqiMetrics = ['pm25', 'pm10', 'o3', 'no2', 'so2', 'co'] as const;
/** NowCast reads at most 12 hours. */
export const aqiHours = 12;

const hourMs = 3_600_000;

/** `newest`: the station's newest reading; the hours used end at the start of its hour. */
export function stationAqi(means: readonly HourlyMean[], newest: Date): StationAqi | undefined {
  const currentHour = Math.floor(newest.getTime() / hourMs) * hourMs;
  const byMetric = new Map<string, Array<number | undefined>>();
  for (const m of means) {
    const back = (currentHour - m.hour.getTime()) / hourMs; // 1 = the last complete hour
    if (!Number.isInteger(back) || back < 1 || back > aqiHours) continue;
    const values = byMetric.get(m.metric) ?? Array<number | undefined>(aqiHours).fill(undefined);
    values[back - 1] = m.mean;
    byMetric.set(m.metric, values);
  }
  const lastHour = (metric: string) => byMetric.get(metric)?.[0];
  const result = hourlyAqi({
    pm25NowCast: nowCast(byMetric.get('pm25') ?? []),
    pm10NowCast: nowCast(byMetric.get('pm10') ?? []),
    o3_1h: lastHour('o3'),
    no2_1h: lastHour('no2'),
    so2_1h: lastHour('so2'),
    co_1h: lastHour('co'),
  });
  if (!result) return undefined;
  return { aqi: result.aqi, level: aqiCategoryKey(result.aqi), at: new Date(currentHour) };
}
