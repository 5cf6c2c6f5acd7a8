// Hourly means of each environment station's pollutants, and the hourly VN_AQI they give when an hour
// completes (Decision 1459/QĐ-TCMT: PM2.5 and PM10 by NowCast over the last 12 hours, the gases by the
// hour's mean). Hours are whole clock hours, the same in UTC and in Asia/Ho_Chi_Minh (UTC+7).
import { hourlyAqi, nowCast } from '../standards/index.ts';

const pollutants = ['pm25', 'pm10', 'o3', 'no2', 'so2', 'co'] as const;
type Pollutant = (typeof pollutants)[number];
const hourMs = 3_600_000;

/** The pollutant's place in `pollutants`, or -1. */
function pollutantIndex(name: string): number {
  switch (name) {
    case 'pm25':
      return 0;
    case 'pm10':
      return 1;
    case 'o3':
      return 2;
    case 'no2':
      return 3;
    case 'so2':
      return 4;
    case 'co':
      return 5;
    default:
      return -1;
  }
}
for (const [i, p] of pollutants.entries()) {
  if (pollutantIndex(p) !== i)
    throw new Error(`pollutantIndex(${p}) is not ${i}: keep it in the order of pollutants`);
}

export type HourlyAqi = NonNullable<ReturnType<typeof hourlyAqi>> & { hourStart: Date };

/** One station's hours. `station` hands it out and keeps it for good, so a caller may hold it (and
 * pass it to addTo); only the tracker changes it. */
export interface AqiStation {
  hour: number;
  /** The current hour's sum and count of each pollutant, at 2i and 2i + 1 (i: its place in `pollutants`). */
  sums: Float64Array;
  /** Whether the current hour has any pollutant reading. */
  summed: boolean;
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
      s = { hour, sums: new Float64Array(2 * pollutants.length), summed: false, means: {} };
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
    pollutants.forEach((p, i) => {
      const count = s.sums[2 * i + 1]!;
      pushMean(s, hour, p, count > 0 ? s.sums[2 * i]! / count : undefined);
    });
    s.sums.fill(0);
    s.summed = false;
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
      completed = s.summed ? completeHour(s) : undefined;
      s.hour = hour;
    }
    // The reading's own metrics (2-6), each placed by a switch, instead of looking up all six
    // pollutants by name in an object whose shape varies with the device (bench profile: this was
    // the alert engine's largest part per reading).
    for (const name in metrics) {
      const i = pollutantIndex(name);
      if (i < 0) continue;
      s.sums[2 * i] = s.sums[2 * i]! + metrics[name]!;
      s.sums[2 * i + 1] = s.sums[2 * i + 1]! + 1;
      s.summed = true;
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
