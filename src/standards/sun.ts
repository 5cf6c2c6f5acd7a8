// Where the sun is, for "a streetlight should be on at night". NOAA's solar position algorithm (the
// Meeus-based equations of the NOAA Solar Calculator), accurate to about 0.01° for current dates,
// far better than a lamp schedule needs. Pure: the instant is always passed in.
import { localMidnight } from './time.ts';

const rad = Math.PI / 180;
const minuteMs = 60_000;
const hourMs = 3_600_000;

/**
 * Sunrise and sunset are when the sun's upper limb touches the horizon: the centre 0.833° below it
 * (0.567° of atmospheric refraction plus 0.266° of solar semi-diameter), the almanac convention.
 */
export const sunriseElevation = -0.833;

interface SolarAngles {
  /** Declination in degrees. */
  declination: number;
  /** Equation of time in minutes (apparent minus mean solar time). */
  equationOfTime: number;
}

// NOAA Solar Calculator, from the Julian century of `at`.
function solarAngles(at: Date): SolarAngles {
  const t = (at.getTime() / 86_400_000 + 2_440_587.5 - 2_451_545) / 36_525;
  const meanLongitude = (((280.46646 + t * (36_000.76983 + t * 0.0003032)) % 360) + 360) % 360;
  const meanAnomaly = 357.52911 + t * (35_999.05029 - 0.0001537 * t);
  const eccentricity = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
  const m = meanAnomaly * rad;
  const centre =
    Math.sin(m) * (1.914602 - t * (0.004817 + 0.000014 * t)) +
    Math.sin(2 * m) * (0.019993 - 0.000101 * t) +
    Math.sin(3 * m) * 0.000289;
  const omega = (125.04 - 1934.136 * t) * rad;
  const apparentLongitude = (meanLongitude + centre - 0.00569 - 0.00478 * Math.sin(omega)) * rad;
  const meanObliquity = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60;
  const obliquity = (meanObliquity + 0.00256 * Math.cos(omega)) * rad;
  const declination = Math.asin(Math.sin(obliquity) * Math.sin(apparentLongitude)) / rad;
  const y = Math.tan(obliquity / 2) ** 2;
  const l0 = meanLongitude * rad;
  const equationOfTime =
    (4 / rad) *
    (y * Math.sin(2 * l0) -
      2 * eccentricity * Math.sin(m) +
      4 * eccentricity * y * Math.sin(m) * Math.cos(2 * l0) -
      0.5 * y * y * Math.sin(4 * l0) -
      1.25 * eccentricity * eccentricity * Math.sin(2 * m));
  return { declination, equationOfTime };
}

/** Hour angle in degrees, −180 (solar midnight before) … 0 (solar noon) … 180. */
function hourAngle(at: Date, lon: number, equationOfTime: number): number {
  const utcMinutes = (at.getTime() / minuteMs) % 1440;
  const trueSolarMinutes = (((utcMinutes + equationOfTime + 4 * lon) % 1440) + 1440) % 1440;
  return trueSolarMinutes / 4 - 180;
}

/**
 * Geometric elevation of the sun's centre in degrees (no refraction: the −0.833° threshold of
 * sunrise/sunset already includes it). lat north positive, lon east positive.
 */
export function solarElevation(at: Date, lat: number, lon: number): number {
  const { declination, equationOfTime } = solarAngles(at);
  const ha = hourAngle(at, lon, equationOfTime) * rad;
  const phi = lat * rad;
  const delta = declination * rad;
  const cosZenith = Math.sin(phi) * Math.sin(delta) + Math.cos(phi) * Math.cos(delta) * Math.cos(ha);
  return 90 - Math.acos(Math.min(1, Math.max(-1, cosZenith))) / rad;
}

/** Dark enough for street lighting: the sun is below the sunrise/sunset elevation (−0.833°). */
export function isDark(at: Date, lat: number, lon: number): boolean {
  return solarElevation(at, lat, lon) < sunriseElevation;
}

// The instant where the elevation crosses the sunrise elevation between `light` and `dark` (bisection
// to under a second; elevation is monotonic between solar noon and solar midnight).
function crossing(light: number, dark: number, lat: number, lon: number): Date {
  let a = light;
  let b = dark;
  while (Math.abs(b - a) > 500) {
    const mid = (a + b) / 2;
    if (isDark(new Date(mid), lat, lon)) b = mid;
    else a = mid;
  }
  return new Date((a + b) / 2);
}

/**
 * Sunrise and sunset of the Asia/Ho_Chi_Minh local day containing `date`, by the same elevation test as
 * isDark so the two always agree. Undefined in polar day or night (never the case in Vietnam).
 */
export function sunTimes(date: Date, lat: number, lon: number): { sunrise: Date; sunset: Date } | undefined {
  // Solar noon nearest to local 12:00: step back by the hour angle (15° an hour), twice to converge.
  let noon = localMidnight(date).getTime() + 12 * hourMs;
  for (let i = 0; i < 2; i++) {
    const at = new Date(noon);
    noon -= (hourAngle(at, lon, solarAngles(at).equationOfTime) / 15) * hourMs;
  }
  const before = noon - 12 * hourMs;
  const after = noon + 12 * hourMs;
  if (isDark(new Date(noon), lat, lon)) return undefined; // polar night
  if (!isDark(new Date(before), lat, lon) || !isDark(new Date(after), lat, lon)) return undefined; // polar day
  return { sunrise: crossing(noon, before, lat, lon), sunset: crossing(noon, after, lat, lon) };
}
