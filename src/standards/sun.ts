// Solar elevation (NOAA's simplified algorithm, good to a fraction of a degree): a streetlight is
// expected on while the sun is below the horizon as sunrise and sunset are defined (−0.833°).
const rad = Math.PI / 180;

export function solarElevation(at: Date, lat: number, lon: number): number {
  const days = at.getTime() / 86_400_000 + 2_440_587.5 - 2_451_545; // days since J2000.0
  const meanLongitude = (280.46 + 0.9856474 * days) % 360;
  const meanAnomaly = ((357.528 + 0.9856003 * days) % 360) * rad;
  const eclipticLongitude =
    (meanLongitude + 1.915 * Math.sin(meanAnomaly) + 0.02 * Math.sin(2 * meanAnomaly)) * rad;
  const obliquity = (23.439 - 0.0000004 * days) * rad;
  const declination = Math.asin(Math.sin(obliquity) * Math.sin(eclipticLongitude));
  const rightAscension = Math.atan2(
    Math.cos(obliquity) * Math.sin(eclipticLongitude),
    Math.cos(eclipticLongitude),
  );
  const siderealDeg = (280.46061837 + 360.98564736629 * days) % 360;
  const hourAngle = (siderealDeg + lon) * rad - rightAscension;
  const sinElevation =
    Math.sin(lat * rad) * Math.sin(declination) +
    Math.cos(lat * rad) * Math.cos(declination) * Math.cos(hourAngle);
  return Math.asin(sinElevation) / rad;
}

export function isDark(at: Date, lat: number, lon: number): boolean {
  return solarElevation(at, lat, lon) < -0.833;
}
