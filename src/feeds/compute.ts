// Indicator components from rollups: pure functions, fed by the refresher's queries, so the rules
// (what counts as lit, up, exceeding, needing collection) read in one place and test without a clock.
import { dailyAqi, isDark, type NoiseLimits, noiseLimit, qcvn26Limits } from '../standards/index.ts';
import {
  aqiCategoryKeys,
  indicatorById,
  indicatorValue,
  type PollutantMetric,
  pollutantMetrics,
} from './indicators.ts';

export interface FeedDevice {
  id: string;
  kind: string;
  city: string;
  ward: string;
  zone: 'special' | 'normal' | null;
  lat: number;
  lon: number;
  createdAt: Date;
}

export interface HourlyRow {
  deviceId: string;
  metric: string;
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** One stored row of indicator_hourly or indicator_daily; ward '' is the whole city. */
export interface Component {
  city: string;
  ward: string;
  indicator: string;
  dim: string;
  sum: number;
  count: number;
  max: number | null;
}

const hourMs = 3_600_000;
/** A lamp or camera counts as on / recording for an hour when it reported so for at least half of it. */
const mostOfTheHour = 0.5;
/** A bin needs collecting once it has been this full (the default waste-full rule). */
export const collectionFillPct = 80;

/** Adds components per ward and for the whole city (ward ''), so city figures need no second pass. */
class Accumulator {
  private readonly byKey = new Map<string, Component>();

  add(device: Pick<FeedDevice, 'city' | 'ward'>, indicator: string, dim: string, sum: number, count: number) {
    for (const ward of [device.ward, '']) this.merge(device.city, ward, indicator, dim, sum, count);
  }

  /** For "max over stations" indicators: the ward and the city keep their worst value. */
  addMax(city: string, ward: string, indicator: string, dim: string, value: number) {
    const key = `${city}\u0000${ward}\u0000${indicator}\u0000${dim}`;
    const existing = this.byKey.get(key);
    if (!existing) this.byKey.set(key, { city, ward, indicator, dim, sum: value, count: 1, max: value });
    else if (value > existing.sum) Object.assign(existing, { sum: value, max: value });
  }

  private merge(city: string, ward: string, indicator: string, dim: string, sum: number, count: number) {
    const key = `${city}\u0000${ward}\u0000${indicator}\u0000${dim}`;
    const existing = this.byKey.get(key);
    if (!existing) {
      this.byKey.set(key, { city, ward, indicator, dim, sum, count, max: null });
      return;
    }
    existing.sum += sum;
    existing.count += count;
  }

  /** `max` of an additive component is its own value for this hour: over a longer period, the worst hour. */
  components(): Component[] {
    return [...this.byKey.values()].map((c) => {
      const definition = indicatorById.get(c.indicator);
      if (!definition || definition.dailyOnly) return c;
      return { ...c, max: indicatorValue(definition.aggregation, c) };
    });
  }
}

export interface HourInputs {
  hour: Date;
  devices: readonly FeedDevice[];
  /** telemetry_hourly rows of this hour, of the metrics the indicators use. */
  rows: readonly HourlyRow[];
  /** Devices that sent anything in this hour. */
  reported: ReadonlySet<string>;
  /** Per noise device: readings above the special-zone and the normal-zone limit of this hour. */
  noiseOver: ReadonlyMap<string, { overSpecial: number; overNormal: number }>;
  /** Per streetlight: kWh used in this hour. */
  energyKwh: ReadonlyMap<string, number>;
  /** Minutes one reading stands for, per kind (its reporting interval). */
  readingMinutes: (kind: string) => number;
}

/** The hourly components of every rollup-sourced indicator that has an hourly value. */
export function hourComponents(input: HourInputs): Component[] {
  const { hour, devices } = input;
  const end = hour.getTime() + hourMs;
  const acc = new Accumulator();
  const byDevice = new Map<string, Map<string, HourlyRow>>();
  for (const row of input.rows) {
    let metrics = byDevice.get(row.deviceId);
    if (!metrics) byDevice.set(row.deviceId, (metrics = new Map()));
    metrics.set(row.metric, row);
  }
  const mid = new Date(hour.getTime() + hourMs / 2);
  const period = noiseLimit('normal', mid).period;

  for (const device of devices) {
    if (device.createdAt.getTime() >= end) continue; // not registered yet in this hour
    const metrics = byDevice.get(device.id);
    acc.add(device, 'device_availability_pct', device.kind, input.reported.has(device.id) ? 1 : 0, 1);

    switch (device.kind) {
      case 'environment':
        for (const pollutant of pollutantMetrics) {
          const row = metrics?.get(pollutant);
          if (row) acc.add(device, `${pollutant}_mean`, '', row.sum, row.count);
        }
        break;
      case 'noise': {
        const over = input.noiseOver.get(device.id);
        if (!metrics?.has('laeq_db') || !over) break;
        const readings = (device.zone ?? 'normal') === 'special' ? over.overSpecial : over.overNormal;
        const minutes = Math.min(60, readings * input.readingMinutes('noise'));
        acc.add(device, 'noise_exceedance_minutes', period, minutes, 1);
        break;
      }
      case 'streetlight': {
        const lamp = metrics?.get('lamp_on');
        if (lamp && isDark(mid, device.lat, device.lon)) {
          acc.add(
            device,
            'streetlight_availability_pct',
            '',
            lamp.sum / lamp.count >= mostOfTheHour ? 1 : 0,
            1,
          );
        }
        const kwh = input.energyKwh.get(device.id);
        if (kwh !== undefined) acc.add(device, 'streetlight_energy_kwh', '', kwh, 1);
        break;
      }
      case 'camera': {
        const recording = metrics?.get('recording');
        const up = recording !== undefined && recording.sum / recording.count >= mostOfTheHour;
        acc.add(device, 'camera_uptime_pct', '', up ? 1 : 0, 1);
        break;
      }
    }
  }
  return acc.components();
}

/** kWh used in an hour from a cumulative meter: this hour's highest reading less the last one before it. */
export function energyIncrement(row: { min: number; max: number }, previousMax: number | null): number {
  if (previousMax === null) return row.max - row.min;
  // A meter that went backwards was reset or replaced: count only what it has counted since.
  return row.max >= previousMax ? row.max - previousMax : row.max - row.min;
}

export interface DayInputs {
  devices: readonly FeedDevice[];
  /** telemetry_hourly rows of the day's environment and waste devices, with their hour. */
  rows: ReadonlyArray<HourlyRow & { hour: Date }>;
}

/** Components that only exist per day: the daily VN_AQI and its category, bins needing collection. */
export function dayComponents(input: DayInputs): Component[] {
  const acc = new Accumulator();
  const devices = new Map(input.devices.map((d) => [d.id, d]));
  const stations = new Map<string, Map<string, Array<HourlyRow & { hour: Date }>>>();
  const binMax = new Map<string, number>();
  for (const row of input.rows) {
    const device = devices.get(row.deviceId);
    if (!device) continue;
    if (device.kind === 'waste' && row.metric === 'fill_pct') {
      binMax.set(row.deviceId, Math.max(binMax.get(row.deviceId) ?? Number.NEGATIVE_INFINITY, row.max));
    } else if (device.kind === 'environment') {
      let metrics = stations.get(row.deviceId);
      if (!metrics) stations.set(row.deviceId, (metrics = new Map()));
      const list = metrics.get(row.metric) ?? [];
      list.push(row);
      metrics.set(row.metric, list);
    }
  }

  for (const [deviceId, max] of binMax) {
    if (max >= collectionFillPct) acc.add(devices.get(deviceId)!, 'waste_bins_need_collection', '', 1, 1);
  }

  // The area's daily AQI is its worst station's: the province is told about the worst air people breathe.
  const worst = new Map<string, { city: string; ward: string; aqi: number }>();
  for (const [deviceId, metrics] of stations) {
    const result = dailyAqi(dailyAqiInput(metrics));
    if (!result) continue;
    const device = devices.get(deviceId)!;
    for (const ward of [device.ward, '']) {
      const key = `${device.city}\u0000${ward}`;
      const current = worst.get(key);
      if (!current || result.aqi > current.aqi) worst.set(key, { city: device.city, ward, aqi: result.aqi });
    }
  }
  for (const { city, ward, aqi } of worst.values()) {
    acc.addMax(city, ward, 'aqi_daily', '', aqi);
    acc.addMax(city, ward, 'aqi_category_days', aqiCategoryKey(aqi), 1);
  }
  return acc.components();
}

/** good … hazardous, by the VN_AQI bands of Decision 1459/QĐ-TCMT (0–50, 51–100, …, 301+). */
export function aqiCategoryKey(aqi: number): (typeof aqiCategoryKeys)[number] {
  const bounds = [50, 100, 150, 200, 300];
  const band = bounds.findIndex((upper) => aqi <= upper);
  return aqiCategoryKeys[band === -1 ? 5 : band]!;
}

function dailyAqiInput(metrics: Map<string, Array<HourlyRow & { hour: Date }>>) {
  const dayMean = (metric: PollutantMetric) => {
    const rows = metrics.get(metric);
    if (!rows?.length) return undefined;
    return rows.reduce((s, r) => s + r.sum, 0) / rows.reduce((s, r) => s + r.count, 0);
  };
  const hourlyMeans = (metric: PollutantMetric) =>
    (metrics.get(metric) ?? []).map((r) => ({ hour: r.hour.getTime(), mean: r.sum / r.count }));
  const maxHourly = (metric: PollutantMetric) => {
    const means = hourlyMeans(metric);
    return means.length ? Math.max(...means.map((m) => m.mean)) : undefined;
  };
  return {
    pm25_24h: dayMean('pm25'),
    pm10_24h: dayMean('pm10'),
    o3_1hMax: maxHourly('o3'),
    o3_8hMax: maxEightHourMean(hourlyMeans('o3')),
    no2_1hMax: maxHourly('no2'),
    so2_1hMax: maxHourly('so2'),
    co_1hMax: maxHourly('co'),
  };
}

/**
 * The day's highest 8-hour running mean of hourly means, over windows inside the day with at least six
 * of their eight hours measured (the usual completeness rule for running means).
 */
export function maxEightHourMean(means: ReadonlyArray<{ hour: number; mean: number }>): number | undefined {
  if (means.length === 0) return undefined;
  const byHour = new Map(means.map((m) => [m.hour, m.mean]));
  const first = Math.min(...byHour.keys());
  const last = Math.max(...byHour.keys());
  let best: number | undefined;
  for (let start = first; start + 7 * hourMs <= last; start += hourMs) {
    const window: number[] = [];
    for (let h = 0; h < 8; h++) {
      const mean = byHour.get(start + h * hourMs);
      if (mean !== undefined) window.push(mean);
    }
    if (window.length < 6) continue;
    const mean = window.reduce((s, v) => s + v, 0) / window.length;
    best = best === undefined ? mean : Math.max(best, mean);
  }
  return best;
}

/** The two limits a noise reading of this hour can be judged against (the zone picks one). */
export function noiseLimitsAt(
  hour: Date,
  limits: NoiseLimits = qcvn26Limits,
): { special: number; normal: number } {
  const mid = new Date(hour.getTime() + hourMs / 2);
  return {
    special: noiseLimit('special', mid, limits).limitDb,
    normal: noiseLimit('normal', mid, limits).limitDb,
  };
}
