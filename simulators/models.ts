// Signal models per kind: what a real sensor on a Vietnamese street reports at a given local time.
// Rush hours (7–8 h, 17–19 h) raise PM, NO2, CO and noise; lamps burn from dusk to dawn and dim after
// midnight; bins fill through the day and are emptied by the early collection round.
import type { KindName } from '../src/catalog/schema.ts';
import { isDark } from '../src/standards/index.ts';
import type { Random } from './random.ts';

export interface DeviceState {
  lampOn: boolean | undefined; // undefined: follow the schedule; set by a set_lamp command
  dimPct: number | undefined;
  energyKwh: number;
  fillPct: number;
  batteryPct: number;
  storagePct: number;
  offset: number; // this device's own bias, so neighbours are not identical
  /** Where the device stands (from devices/fleets; a city centre for generated devices). */
  lat: number;
  lon: number;
  zone: 'special' | 'normal' | undefined;
}

export function initialState(
  random: Random,
  place: { lat: number; lon: number; zone?: 'special' | 'normal' | undefined },
): DeviceState {
  return {
    lampOn: undefined,
    dimPct: undefined,
    energyKwh: Math.round(random.between(100, 5000) * 10) / 10,
    fillPct: random.between(0, 40),
    batteryPct: random.between(60, 100),
    storagePct: random.between(10, 60),
    offset: random.normal(0, 1),
    lat: place.lat,
    lon: place.lon,
    zone: place.zone,
  };
}

/** Hours since local midnight in Asia/Ho_Chi_Minh (UTC+7, no daylight saving). */
export function localHour(time: Date): number {
  return (((time.getTime() / 3_600_000 + 7) % 24) + 24) % 24;
}

const bump = (hour: number, centre: number, width: number) => Math.exp(-(((hour - centre) / width) ** 2));
const rush = (h: number) => bump(h, 7.5, 1) + bump(h, 18, 1.2);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export function sample(
  kind: KindName,
  state: DeviceState,
  time: Date,
  intervalS: number,
  r: Random,
): Record<string, number> {
  const h = localHour(time);
  const daylight = clamp(Math.sin(((h - 6) / 12) * Math.PI), 0, 1);
  switch (kind) {
    case 'streetlight': {
      // A photocell or an astronomical timer: on from dusk to dawn at this pole's position.
      const scheduledOn = isDark(time, state.lat, state.lon);
      const on = state.lampOn ?? scheduledOn;
      const dim = state.dimPct ?? (h >= 0 && h < 5 ? 60 : 100);
      const power = on ? clamp(r.normal(120 * (dim / 100), 2), 0, 400) : round(r.between(0.3, 0.8));
      state.energyKwh += (power * intervalS) / 3_600_000;
      return {
        lamp_on: on ? 1 : 0,
        dim_pct: on ? dim : 0,
        power_w: round(power),
        energy_kwh: round(state.energyKwh, 3),
        voltage_v: round(r.normal(225, 3)),
        lux: round(clamp(daylight * 40_000 + r.normal(5, 2), 0, 100_000)),
      };
    }
    case 'environment': {
      const pm25 = clamp(22 + 4 * state.offset + 30 * rush(h) + r.normal(0, 3), 1, 900);
      return {
        pm25: round(pm25),
        pm10: round(pm25 * 1.6 + r.normal(0, 3)),
        no2: round(clamp(25 + 45 * rush(h) + r.normal(0, 4), 0, 2000)),
        so2: round(clamp(8 + r.normal(0, 1.5), 0, 2000)),
        o3: round(clamp(30 + 70 * bump(h, 14, 2.5) + r.normal(0, 5), 0, 1000)),
        co: round(clamp(700 + 900 * rush(h) + r.normal(0, 60), 0, 100_000)),
        temp_c: round(26 + 6 * daylight + r.normal(0, 0.3)),
        humidity_pct: round(clamp(85 - 25 * daylight + r.normal(0, 2), 20, 100)),
        rain_mm: r.chance(0.03) ? round(r.between(0.2, 6)) : 0,
        wind_ms: round(clamp(r.normal(2 + daylight, 0.8), 0, 40)),
        water_level_cm: 0,
      };
    }
    case 'noise': {
      // Quiet areas (hospitals, schools, pagodas, the Old Town's lanes) sit about 15 dBA below a street.
      const quiet = state.zone === 'special' ? 15 : 0;
      const laeq =
        50 - quiet + 15 * rush(h) + 8 * daylight - (h < 5 ? 6 : 0) + 2 * state.offset + r.normal(0, 1.5);
      return { laeq_db: round(laeq), lamax_db: round(laeq + r.between(8, 22)) };
    }
    case 'fire':
      return {
        smoke_pct: round(clamp(r.normal(0.2, 0.05), 0, 100), 2),
        temp_c: round(27 + 5 * daylight + r.normal(0, 0.3)),
        co_ppm: round(clamp(r.normal(2, 0.5), 0, 1000)),
        flame: 0,
        alarm: 0,
      };
    case 'waste': {
      const collection = h >= 5 && h < 5 + intervalS / 3600 + 0.01;
      state.fillPct = collection
        ? r.between(0, 5)
        : clamp(state.fillPct + (intervalS / 3600) * (2 + 4 * daylight), 0, 100);
      state.batteryPct = clamp(state.batteryPct - intervalS / 864_000, 0, 100);
      return {
        fill_pct: round(state.fillPct),
        temp_c: round(28 + 6 * daylight + r.normal(0, 0.5)),
        tilt: 0,
        battery_pct: round(state.batteryPct),
      };
    }
    case 'camera':
      state.storagePct = state.storagePct >= 95 ? 20 : state.storagePct + intervalS / 86_400;
      return {
        recording: 1,
        fps: 25,
        bitrate_kbps: round(clamp(r.normal(4000 + 1500 * daylight, 200), 0, 100_000)),
        storage_pct: round(state.storagePct),
        tamper: 0,
      };
  }
}
