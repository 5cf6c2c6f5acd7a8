// Hourly means of each environment station's pollutants, and the hourly VN_AQI they give when an hour
// completes (Decision 1459/QĐ-TCMT: PM2.5 and PM10 by NowCast over the last 12 hours, the gases by the
// hour's mean). Hours are whole clock hours, the same in UTC and in Asia/Ho_Chi_Minh (UTC+7).
import { hourlyAqi, nowCast } from '../standards/index.ts';

const pollutants = ['pm25', 'pm10', 'o3', 'no2', 'so2', 'co'] as const;
type Pollutant = (typeof pollutants)[number];
const hourMs = 3_600_000;

export type HourlyAqi = NonNullable<ReturnType<typeof hourlyAqi>> & { hourStart: Date };

/** One station's hours. `station` hands it out and keeps it for good, so a caller may hold it (and
 * pass it to addTo); only the tracker changes it. */
export interface AqiStation {
  hour: number;
  sums: Partial<Record<Pollutant, [sum: number, count: number]>>;
  /** Completed hourly means per pollutant, newest first: values[i] is the mean of `hour - i`. */
  means: Partial<Record<Pollutant, { hour: number; values: Array<number | undefined> }>>;
}

export interface AqiTracker {
  /** Adds a reading; returns the AQI of the hour it completed, if it completed one. */
  add(deviceId: string, at: Date, metrics: Record<string, number>): HourlyAqi | undefined;
  /** The device's station, to pass to addTo instead of its id. */
  station(deviceId: string): AqiStation;
  /** `add`, for a station the caller holds: one lookup fewer per reading. */
  addTo(station: AqiStation, at: Date, metrics: Record<string, number>): HourlyAqi | undefined;
  /** Restores completed hourly means after a restart (rows of the last 12 hours). */
  seed(rows: Array<{ deviceId: string; metric: string; hour: Date; mean: number }>): void;
}

export function createAqiTracker(): AqiTracker {
  const stations = new Map<string, AqiStation>();

  function station(deviceId: string, hour = Number.NEGATIVE_INFINITY): AqiStation {
    let s = stations.get(deviceId);
    if (!s) {
      s = { hour, sums: {}, means: {} };
      stations.set(deviceId, s);
    }
    return s;
  }

  function pushMean(s: AqiStation, hour: number, pollutant: Pollutant, mean: number | undefined) {
    const entry = s.means[pollutant];
    if (!entry) {
      s.means[pollutant] = { hour, values: [mean] };
      return;
    }
    const shift = hour - entry.hour;
    if (shift < 0) return;
    if (shift === 0) entry.values[0] = mean;
    else entry.values.unshift(mean, ...new Array<undefined>(Math.min(shift, 12) - 1));
    entry.hour = hour;
    entry.values.length = Math.min(entry.values.length, 12);
  }

  function completeHour(s: AqiStation): HourlyAqi | undefined {
    const hour = s.hour;
    for (const p of pollutants) {
      const sum = s.sums[p];
      pushMean(s, hour, p, sum ? sum[0] / sum[1] : undefined);
    }
    s.sums = {};
    const first = (p: Pollutant) => s.means[p]?.values[0];
    const result = hourlyAqi({
      pm25NowCast: nowCast(s.means.pm25?.values ?? []),
      pm10NowCast: nowCast(s.means.pm10?.values ?? []),
      o3_1h: first('o3'),
      no2_1h: first('no2'),
      so2_1h: first('so2'),
      co_1h: first('co'),
    });
    return result ? { ...result, hourStart: new Date(hour * hourMs) } : undefined;
  }

  function addTo(s: AqiStation, at: Date, metrics: Record<string, number>): HourlyAqi | undefined {
    const hour = Math.floor(at.getTime() / hourMs);
    if (s.hour === Number.NEGATIVE_INFINITY) s.hour = hour; // a station handed out before its first reading
    if (hour < s.hour) return undefined; // a late reading for an hour already judged
    let completed: HourlyAqi | undefined;
    if (hour > s.hour) {
      completed = Object.keys(s.sums).length > 0 ? completeHour(s) : undefined;
      s.hour = hour;
    }
    for (const p of pollutants) {
      const value = metrics[p];
      if (value === undefined) continue;
      const sum = s.sums[p] ?? [0, 0];
      sum[0] += value;
      sum[1]++;
      s.sums[p] = sum;
    }
    return completed;
  }

  return {
    add: (deviceId, at, metrics) => addTo(station(deviceId), at, metrics),
    station: (deviceId) => station(deviceId),
    addTo,

    seed(rows) {
      const sorted = [...rows].sort((a, b) => a.hour.getTime() - b.hour.getTime());
      for (const row of sorted) {
        if (!(pollutants as readonly string[]).includes(row.metric)) continue;
        const hour = Math.floor(row.hour.getTime() / hourMs);
        const s = station(row.deviceId, hour + 1);
        pushMean(s, hour, row.metric as Pollutant, row.mean);
        s.hour = Math.max(s.hour, hour + 1);
      }
    },
  };
}
