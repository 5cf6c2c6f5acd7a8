// Signal models per kind: what a real sensor on a Vietnamese street reports at a given local time.
// Rush hours (7–8 h, 17–19 h) raise PM, NO2, CO and noise; lamps burn from dusk to dawn at their pole and
// dim after midnight; bins fill through the day and are emptied by their ward's early collection round;
// a humid tropical climate with afternoon showers; every sensor has its own bias and a slow drift.
// A kind added as a device profile has no such model: its readings walk smoothly within the profile's
// plausible ranges, so any profile can be simulated from its data alone.
import type { KindDefinition, KindName } from '../src/catalog/schema.ts';
import { isDark } from '../src/standards/index.ts';
import { hashString, type Random } from './random.ts';

export interface DeviceState {
  lampOn: boolean | undefined; // undefined: follow the schedule; set by a set_lamp command
  dimPct: number | undefined;
  energyKwh: number;
  fillPct: number;
  /** Percent per hour at midday: a market bin fills several times faster than a quiet lane's. */
  fillRate: number;
  /** Local minute of the day of this bin's collection round (its ward's truck, 04:30–06:30). */
  collectionMinute: number;
  batteryPct: number;
  storagePct: number;
  offset: number; // this device's own bias, so neighbours are not identical
  drift: number; // slow sensor drift, a random walk kept within a few units
  lastSampleAt: number | undefined;
  /** Where the device stands (from devices/fleets; a ward centre for generated devices). */
  lat: number;
  lon: number;
  zone: 'special' | 'normal' | undefined;
  /** Devices of one city share its weather. */
  city: string;
  /** A profile without a model: each metric's place within its plausible range (0–1), walking. */
  walk: Record<string, number> | undefined;
}

export interface Place {
  lat: number;
  lon: number;
  zone?: 'special' | 'normal' | undefined;
  city: string;
  ward: string;
}

export function initialState(random: Random, place: Place): DeviceState {
  return {
    lampOn: undefined,
    dimPct: undefined,
    energyKwh: Math.round(random.between(100, 5000) * 10) / 10,
    fillPct: random.between(0, 40),
    fillRate: random.between(1.5, 6),
    collectionMinute: 270 + (hashString(`${place.city}:${place.ward}`) % 120),
    batteryPct: random.between(60, 100),
    storagePct: random.between(10, 60),
    offset: random.normal(0, 1),
    drift: 0,
    lastSampleAt: undefined,
    lat: place.lat,
    lon: place.lon,
    zone: place.zone,
    city: place.city,
    walk: undefined,
  };
}

const hourMs = 3_600_000;
const vietnamOffsetMs = 7 * hourMs;

/** Hours since local midnight in Asia/Ho_Chi_Minh (UTC+7, no daylight saving). */
export function localHour(time: Date): number {
  return (((time.getTime() / hourMs + 7) % 24) + 24) % 24;
}

const localMinuteCount = (ms: number) => Math.floor((ms + vietnamOffsetMs) / 60_000);

/** Whether the local clock passed `minuteOfDay` in (from, to]: a daily event happened between two samples. */
export function passedDaily(fromMs: number, toMs: number, minuteOfDay: number): boolean {
  const from = localMinuteCount(fromMs);
  const to = localMinuteCount(toMs);
  if (to - from >= 1440) return true;
  const day = Math.floor(to / 1440) * 1440;
  const event = day + minuteOfDay <= to ? day + minuteOfDay : day - 1440 + minuteOfDay;
  return event > from;
}

/**
 * Rain in mm/h over a city at a time: showers come in whole hours, likelier in the tropical afternoon
 * (13–18 h), the same for every device of the city so neighbours agree.
 */
export function rainRate(city: string, time: Date): number {
  const hour = Math.floor(time.getTime() / hourMs);
  const local = localHour(time);
  const chance = local >= 13 && local < 19 ? 0.25 : 0.05;
  const roll = (hashString(`${city}:rain:${hour}`) % 10_000) / 10_000;
  if (roll >= chance) return 0;
  return 2 + (roll / chance) * 18; // 2–20 mm/h
}

const bump = (hour: number, centre: number, width: number) => Math.exp(-(((hour - centre) / width) ** 2));
const rush = (h: number) => bump(h, 7.5, 1) + bump(h, 18, 1.2);
const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/** Rounds to about four significant digits of the range: 0–1000 to 0.1, 0–5 to 0.001. */
function walkDigits(span: number): number {
  return clamp(4 - Math.ceil(Math.log10(Math.max(span, 1e-6))), 0, 6);
}

/**
 * A smooth random walk per metric within its plausible range: numbers keep to the middle 10–90 % and
 * move about 2 % of the range per reading, a cumulative counter only climbs, a flag seldom changes.
 */
export function walkSample(profile: KindDefinition, state: DeviceState, r: Random): Record<string, number> {
  state.walk ??= {};
  const walk = state.walk;
  const metrics: Record<string, number> = {};
  for (const [name, m] of Object.entries(profile.metrics)) {
    const span = m.max - m.min;
    if (m.type === 'flag') {
      const was = walk[name] ?? 0;
      const now = r.chance(0.01) ? 1 - was : was;
      walk[name] = now;
      metrics[name] = now;
      continue;
    }
    let at = walk[name] ?? r.between(0.3, 0.7);
    if (m.cumulative)
      at = Math.min(0.9, (walk[name] ?? r.between(0.05, 0.2)) + Math.abs(r.normal(0, 0.0005)));
    else at = clamp(at + r.normal(0, 0.02), 0.1, 0.9);
    walk[name] = at;
    metrics[name] = clamp(round(m.min + at * span, walkDigits(span)), m.min, m.max);
  }
  return metrics;
}

export function sample(
  kind: KindName,
  state: DeviceState,
  time: Date,
  intervalS: number,
  r: Random,
  /** The kind's profile: what a kind without a model below is simulated from. */
  profile?: KindDefinition,
): Record<string, number> {
  const h = localHour(time);
  const daylight = clamp(Math.sin(((h - 6) / 12) * Math.PI), 0, 1);
  const previous = state.lastSampleAt;
  state.lastSampleAt = time.getTime();
  state.drift = clamp(state.drift + r.normal(0, 0.02), -3, 3);
  const rain = rainRate(state.city, time);
  // Air: 26 °C at dawn to 33 °C mid-afternoon, a shower cools it and saturates the air.
  const airTemp = 26 + 7 * bump(h, 14.5, 4.5) - (rain > 0 ? 2.5 : 0);
  const humidity = clamp(88 - 28 * bump(h, 14.5, 4.5) + (rain > 0 ? 10 : 0), 40, 100);
  switch (kind) {
    case 'streetlight': {
      // A photocell or an astronomical timer: on from dusk to dawn at this pole's position.
      const scheduledOn = isDark(time, state.lat, state.lon);
      const on = state.lampOn ?? scheduledOn;
      // Decree-style energy saving: 60 % from midnight to 05:00, when the streets are empty.
      const dim = state.dimPct ?? (h < 5 ? 60 : 100);
      const power = on ? clamp(r.normal(120 * (dim / 100), 2), 0, 400) : round(r.between(0.3, 0.8));
      state.energyKwh += (power * intervalS) / 3_600_000;
      return {
        lamp_on: on ? 1 : 0,
        dim_pct: on ? dim : 0,
        power_w: round(power),
        energy_kwh: round(state.energyKwh, 3),
        voltage_v: round(r.normal(225, 3)),
        lux: round(clamp(daylight * (rain > 0 ? 15_000 : 40_000) + r.normal(5, 2), 0, 100_000)),
      };
    }
    case 'environment': {
      // Rain washes particles out of the air.
      const washout = rain > 0 ? 0.6 : 1;
      const pm25 = clamp(
        (22 + 4 * state.offset + state.drift + 30 * rush(h)) * washout + r.normal(0, 3),
        1,
        900,
      );
      return {
        pm25: round(pm25),
        pm10: round(clamp(pm25 * 1.6 + r.normal(0, 3), 0, 1900)),
        no2: round(clamp(25 + 45 * rush(h) + r.normal(0, 4), 0, 2000)),
        so2: round(clamp(8 + r.normal(0, 1.5), 0, 2000)),
        o3: round(clamp(30 + 70 * bump(h, 14, 2.5) + r.normal(0, 5), 0, 1000)),
        co: round(clamp(700 + 900 * rush(h) + r.normal(0, 60), 0, 100_000)),
        temp_c: round(airTemp + state.drift / 3 + r.normal(0, 0.3)),
        humidity_pct: round(clamp(humidity + r.normal(0, 2), 0, 100)),
        rain_mm: round((rain * intervalS) / 3600, 2),
        wind_ms: round(clamp(r.normal(2 + daylight + (rain > 0 ? 3 : 0), 0.8), 0, 40)),
        // A heavy shower leaves a few centimetres in the gutter; a flood needs a storm (see scenarios/).
        water_level_cm: rain > 15 ? round(r.between(0, 4)) : 0,
      };
    }
    case 'noise': {
      // Quiet areas (hospitals, schools, pagodas, the Old Town's lanes) sit about 15 dBA below a street.
      const quiet = state.zone === 'special' ? 15 : 0;
      const laeq =
        50 - quiet + 12 * rush(h) + 6 * daylight - (h < 5 ? 6 : 0) + 2 * state.offset + r.normal(0, 1.5);
      return {
        laeq_db: round(clamp(laeq, 25, 120)),
        lamax_db: round(clamp(laeq + r.between(8, 22), 25, 135)),
      };
    }
    case 'fire':
      return {
        smoke_pct: round(clamp(r.normal(0.2, 0.05), 0, 100), 2),
        temp_c: round(airTemp + 1 + r.normal(0, 0.3)),
        co_ppm: round(clamp(r.normal(2, 0.5), 0, 1000)),
        flame: 0,
        alarm: 0,
      };
    case 'waste': {
      // Filled by day, hardly at night; never emptier than before except by the collection round.
      const collected =
        previous !== undefined && passedDaily(previous, time.getTime(), state.collectionMinute);
      const activity = 0.15 + daylight + 0.5 * rush(h);
      state.fillPct = collected
        ? r.between(0, 5)
        : clamp(state.fillPct + (intervalS / 3600) * state.fillRate * activity * r.between(0.5, 1.5), 0, 100);
      state.batteryPct = clamp(state.batteryPct - intervalS / 864_000, 0, 100); // ~10 % a month
      return {
        fill_pct: round(state.fillPct),
        temp_c: round(airTemp + 2 + 3 * daylight + r.normal(0, 0.5)),
        tilt: 0,
        battery_pct: round(state.batteryPct),
      };
    }
    case 'camera':
      state.storagePct = state.storagePct >= 85 ? 20 : state.storagePct + intervalS / 86_400;
      return {
        recording: 1,
        fps: 25,
        bitrate_kbps: round(clamp(r.normal(4000 + 1500 * daylight, 200), 0, 100_000)),
        storage_pct: round(state.storagePct),
        tamper: 0,
      };
    default:
      if (!profile) throw new Error(`${kind} has no model here: give its profile to simulate it`);
      return walkSample(profile, state, r);
  }
}
