// Builds devices/fleets/{tay-ninh,hoi-an}.json from the hand-written sources in devices/fleets/sources/
// and the units in force from devices/places/.
// Deterministic: no randomness, the same sources always give byte-identical output.
//   npx tsx devices/build-fleets.ts
//
// A source describes wards (with a short code used in device ids), roads as polylines cut into one
// segment per ward, and sites (hospitals, schools, pagodas, heritage houses, markets...). The script
// places smart poles along every segment at `spacingM`, puts a streetlight on each pole and, following
// the segment's sensor profile, environment / noise / fire / waste sensors on some poles. It adds
// cameras where two roads meet and at the cross streets listed per segment, fire sensors at house
// numbers in the Hội An Old Town (`buildings`), and the devices listed per site.
import { readFileSync, writeFileSync } from 'node:fs';
import { Fleet, type FleetDevice, type SeededKind, type Ward } from '../src/catalog/schema.ts';
import { readShippedPlaces } from '../src/places/seed.ts';

type LatLon = [number, number];
type SensorKind = 'environment' | 'noise' | 'fire' | 'waste';
/** `[every, offset]`: pole k of a segment carries the sensor when k % every === offset. */
type Profile = Partial<Record<SensorKind, [number, number]>>;

interface SourceWard extends Ward {
  code: string;
}
interface Segment {
  ward: string;
  profile: string;
  spacingM: number;
  path: LatLon[];
  zone?: 'special' | 'normal';
  /** Label of the lamp in device names ("Đèn", "Đèn LED", "Đèn NLMT" for solar). */
  light?: string;
  /** Cross streets with a camera, spread evenly along the segment. */
  cross?: string[];
  /** Fire sensors inside houses along the street (Old Town), numbered first, first+step, ... */
  buildings?: { count: number; first: number; step: number; side?: 1 | -1 };
}
interface Road {
  name: string;
  short: string;
  /** The name describes the road rather than being its official name. */
  descriptive?: boolean;
  segments: Segment[];
}
interface Site {
  name: string;
  type: string;
  ward: string;
  lat: number;
  lon: number;
  devices: Partial<Record<SeededKind, number>>;
}
interface Source {
  city: 'tay-ninh' | 'hoi-an';
  code: string;
  name: { vi: string; en: string };
  lat: number;
  lon: number;
  note?: string;
  wards: SourceWard[];
  profiles: Record<string, Profile>;
  roads: Road[];
  sites: Site[];
}

const kindCode: Record<SeededKind, string> = {
  streetlight: 'sl',
  environment: 'env',
  noise: 'noise',
  fire: 'fire',
  waste: 'waste',
  camera: 'cam',
};
const sensorKinds: SensorKind[] = ['environment', 'noise', 'fire', 'waste'];
const sensorLabel: Record<SeededKind, string> = {
  streetlight: 'Đèn',
  environment: 'Trạm quan trắc môi trường',
  noise: 'Cảm biến tiếng ồn',
  fire: 'Cảm biến cháy',
  waste: 'Thùng rác thông minh',
  camera: 'Camera',
};
/** Site types that make a noise sensor "special" under QCVN 26:2010 when within `specialRadiusM`. */
const specialSiteTypes = new Set(['hospital', 'school', 'pagoda', 'church', 'heritage']);
const specialRadiusM = 200;
/** Streets closer than this to each other's intersection share one camera. */
const sameIntersectionM = 25;

const devicesDir = new URL('./', import.meta.url);

// --- geometry (equirectangular; fine at city scale) ---
const mPerDegLat = 110_600;
const mPerDegLon = (lat: number) => 111_320 * Math.cos((lat * Math.PI) / 180);
function toXY([lat, lon]: LatLon, ref: LatLon): [number, number] {
  return [(lon - ref[1]) * mPerDegLon(ref[0]), (lat - ref[0]) * mPerDegLat];
}
function fromXY([x, y]: [number, number], ref: LatLon): LatLon {
  return [ref[0] + y / mPerDegLat, ref[1] + x / mPerDegLon(ref[0])];
}
function distanceM(a: LatLon, b: LatLon): number {
  const [x, y] = toXY(b, a);
  return Math.hypot(x, y);
}
const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

interface Station {
  at: LatLon;
  /** Unit vector along the road, in metres-space (x east, y north). */
  dir: [number, number];
}
/** Point at `distance` metres along the polyline, with the local direction. */
function pointAlong(path: LatLon[], distance: number): Station {
  let left = distance;
  for (let i = 0; i + 1 < path.length; i++) {
    const a = path[i]!;
    const b = path[i + 1]!;
    const [dx, dy] = toXY(b, a);
    const len = Math.hypot(dx, dy);
    if (left <= len || i + 2 === path.length) {
      const t = Math.min(1, left / len);
      return { at: fromXY([dx * t, dy * t], a), dir: [dx / len, dy / len] };
    }
    left -= len;
  }
  throw new Error('path needs at least two points');
}
function pathLength(path: LatLon[]): number {
  let total = 0;
  for (let i = 0; i + 1 < path.length; i++) total += distanceM(path[i]!, path[i + 1]!);
  return total;
}
/** Move a point `side` metres to the right of the direction (negative: left) and `along` metres ahead. */
function offset(s: Station, side: number, along = 0): LatLon {
  const [ux, uy] = s.dir;
  return fromXY([ux * along + uy * side, uy * along - ux * side], s.at);
}
/** Crossing point of segments p1-p2 and q1-q2, or null. */
function intersect(p1: LatLon, p2: LatLon, q1: LatLon, q2: LatLon): LatLon | null {
  const ref = p1;
  const [ax, ay] = toXY(p1, ref);
  const [bx, by] = toXY(p2, ref);
  const [cx, cy] = toXY(q1, ref);
  const [dx, dy] = toXY(q2, ref);
  const rx = bx - ax;
  const ry = by - ay;
  const sx = dx - cx;
  const sy = dy - cy;
  const den = rx * sy - ry * sx;
  if (Math.abs(den) < 1e-9) return null;
  const t = ((cx - ax) * sy - (cy - ay) * sx) / den;
  const u = ((cx - ax) * ry - (cy - ay) * rx) / den;
  const eps = 1e-6;
  if (t < -eps || t > 1 + eps || u < -eps || u > 1 + eps) return null;
  return fromXY([ax + t * rx, ay + t * ry], ref);
}
/** Distance from point p to segment a-b, and the nearest point on it. */
function nearestOnSegment(p: LatLon, a: LatLon, b: LatLon): { at: LatLon; d: number } {
  const [bx, by] = toXY(b, a);
  const [px, py] = toXY(p, a);
  const len2 = bx * bx + by * by;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, (px * bx + py * by) / len2));
  const at = fromXY([bx * t, by * t], a);
  return { at, d: distanceM(p, at) };
}
/** Where two street segments meet: a crossing, or a T-junction whose end lies within `tolM` of the other. */
function junction(p1: LatLon, p2: LatLon, q1: LatLon, q2: LatLon, tolM = 8): LatLon | null {
  const x = intersect(p1, p2, q1, q2);
  if (x) return x;
  const candidates = [
    nearestOnSegment(q1, p1, p2),
    nearestOnSegment(q2, p1, p2),
    nearestOnSegment(p1, q1, q2),
    nearestOnSegment(p2, q1, q2),
  ].filter((c) => c.d <= tolM);
  return candidates.sort((a, b) => a.d - b.d)[0]?.at ?? null;
}

// --- fleet builder ---
function build(source: Source): Fleet {
  const wardCode = new Map(source.wards.map((w) => [w.id, w.code]));
  const counters = new Map<string, number>();
  const devices: FleetDevice[] = [];
  const specialSites = source.sites.filter((s) => specialSiteTypes.has(s.type));

  function nextId(ward: string, what: string): string {
    const code = wardCode.get(ward);
    if (!code) throw new Error(`${source.city}: unknown ward ${ward}`);
    const key = `${ward}/${what}`;
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return `${source.code}-${code}-${what}-${String(n).padStart(4, '0')}`;
  }
  function add(kind: SeededKind, ward: string, at: LatLon, name: string, extra: Partial<FleetDevice> = {}) {
    // Every noise sensor carries its QCVN 26 zone.
    const zone = kind === 'noise' ? zoneAt(at, extra.zone) : undefined;
    devices.push({
      id: nextId(ward, kindCode[kind]),
      kind,
      ward,
      lat: round6(at[0]),
      lon: round6(at[1]),
      ...(extra.pole ? { pole: extra.pole } : {}),
      ...(zone ? { zone } : {}),
      name,
    });
  }
  function zoneAt(at: LatLon, forced?: 'special' | 'normal'): 'special' | 'normal' {
    if (forced) return forced;
    return specialSites.some((s) => distanceM(at, [s.lat, s.lon]) <= specialRadiusM) ? 'special' : 'normal';
  }

  // 1. Poles along the roads, with their sensors.
  for (const road of source.roads) {
    let poleNo = 0;
    for (const segment of road.segments) {
      const profile = source.profiles[segment.profile];
      if (!profile) throw new Error(`${source.city}: unknown profile ${segment.profile}`);
      const length = pathLength(segment.path);
      const count = Math.max(1, Math.floor(length / segment.spacingM));
      const step = length / count;
      for (let k = 0; k < count; k++) {
        poleNo += 1;
        const station = pointAlong(segment.path, step * (k + 0.5));
        // Poles alternate sides of the carriageway, about 8 m from the centre line.
        const side = k % 2 === 0 ? 8 : -8;
        const at = offset(station, side);
        const pole = nextId(segment.ward, 'pole');
        add('streetlight', segment.ward, at, `${segment.light ?? 'Đèn'} ${poleNo} – ${road.name}`, { pole });
        let mate = 0;
        for (const kind of sensorKinds) {
          const rule = profile[kind];
          if (!rule || k % rule[0] !== rule[1]) continue;
          mate += 1;
          // Pole-mates sit within a metre or two of the pole.
          const mateAt = offset(station, side, mate * 1.2);
          add(kind, segment.ward, mateAt, `${sensorLabel[kind]} – ${road.name}, cột ${poleNo}`, {
            pole,
            ...(segment.zone ? { zone: segment.zone } : {}),
          });
        }
      }
    }
  }

  // 2. Fire sensors inside houses along Old Town streets.
  for (const road of source.roads) {
    for (const segment of road.segments) {
      const b = segment.buildings;
      if (!b) continue;
      const length = pathLength(segment.path);
      for (let i = 0; i < b.count; i++) {
        const number = b.first + i * b.step;
        const station = pointAlong(segment.path, (length * (i + 0.5)) / b.count);
        // Odd numbers on one side, even on the other, set back about 10 m into the house.
        const side = b.side ?? (number % 2 === 1 ? 1 : -1);
        add(
          'fire',
          segment.ward,
          offset(station, side * 10),
          `Cảm biến khói – Phố cổ, ${road.short} ${number}`,
        );
      }
    }
  }

  // 3. Cameras where two roads meet (computed) and at the listed cross streets.
  const crossings: Array<{ at: LatLon; ward: string; a: Road; b: Road }> = [];
  source.roads.forEach((roadA, ia) => {
    for (const roadB of source.roads.slice(ia + 1)) {
      for (const sa of roadA.segments) {
        for (const sb of roadB.segments) {
          for (let i = 0; i + 1 < sa.path.length; i++) {
            for (let j = 0; j + 1 < sb.path.length; j++) {
              const at = junction(sa.path[i]!, sa.path[i + 1]!, sb.path[j]!, sb.path[j + 1]!);
              if (!at || crossings.some((c) => distanceM(c.at, at) < sameIntersectionM)) continue;
              crossings.push({ at, ward: sa.ward, a: roadA, b: roadB });
            }
          }
        }
      }
    }
  });
  for (const c of crossings) {
    const ends = (r: Road) => {
      const first = r.segments[0]!.path[0]!;
      const lastPath = r.segments[r.segments.length - 1]!.path;
      const last = lastPath[lastPath.length - 1]!;
      return distanceM(c.at, first) < 15 || distanceM(c.at, last) < 15;
    };
    const kindOf = ends(c.a) || ends(c.b) ? 'ngã ba' : 'ngã tư';
    // On the corner, about 10 m from the centre of the junction.
    const at = fromXY([7, 7], c.at);
    add('camera', c.ward, at, `Camera ${kindOf} ${c.a.short} – ${c.b.short}`);
  }
  for (const road of source.roads) {
    for (const segment of road.segments) {
      const cross = segment.cross ?? [];
      const length = pathLength(segment.path);
      cross.forEach((street, i) => {
        // Evenly spread, nudged off the pole positions.
        const station = pointAlong(segment.path, (length * (i + 1)) / (cross.length + 1) + 3);
        add('camera', segment.ward, offset(station, 9), `Camera ngã tư ${road.short} – ${street}`);
      });
    }
  }

  // 4. Devices at sites, on a small circle around the site's point.
  for (const site of source.sites) {
    const kinds = (Object.keys(site.devices) as SeededKind[]).sort(
      (x, y) => Object.keys(kindCode).indexOf(x) - Object.keys(kindCode).indexOf(y),
    );
    const total = kinds.reduce((n, k) => n + (site.devices[k] ?? 0), 0);
    let slot = 0;
    for (const kind of kinds) {
      const n = site.devices[kind] ?? 0;
      for (let i = 0; i < n; i++) {
        const angle = (2 * Math.PI * slot) / Math.max(1, total);
        slot += 1;
        const at =
          total === 1
            ? ([site.lat, site.lon] as LatLon)
            : fromXY([15 * Math.cos(angle), 15 * Math.sin(angle)], [site.lat, site.lon]);
        const label =
          kind === 'fire' && specialSiteTypes.has(site.type) ? 'Cảm biến khói' : sensorLabel[kind];
        const name = `${label}${n > 1 ? ` ${i + 1}` : ''} – ${site.name}`;
        add(
          kind,
          site.ward,
          at,
          name,
          kind === 'noise' && specialSiteTypes.has(site.type) ? { zone: 'special' } : {},
        );
      }
    }
  }

  // The sources are drawn by the wards of before 1 July 2025 (their codes stay in the device ids);
  // the fleets name the units in force, each former ward mapped by devices/places.
  const places = readShippedPlaces();
  const currentOf = new Map(places.formerUnits.map((u) => [u.id, u.mergedInto]));
  const fleet = Fleet.parse({
    city: source.city,
    name: source.name,
    lat: source.lat,
    lon: source.lon,
    wards: places.units
      .filter((u) => u.area === source.city && u.validTo === null)
      .map((u) => ({ id: u.id, name: u.fullName.vi, type: u.type, lat: u.centre.lat, lon: u.centre.lon })),
    devices: devices.map(({ id, kind, ward, ...d }) => ({
      id,
      kind,
      ward: currentOf.get(ward) ?? ward,
      ...(currentOf.has(ward) ? { wardBefore2025: ward } : {}),
      ...d,
    })),
  });
  return fleet;
}

// --- writer: one ward / one device per line, so diffs stay readable ---
function line(value: object): string {
  return `{${Object.entries(value)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ')}}`;
}
function write(fleet: Fleet): string {
  return [
    '{',
    `  "city": ${JSON.stringify(fleet.city)},`,
    `  "name": ${line(fleet.name)},`,
    `  "lat": ${fleet.lat},`,
    `  "lon": ${fleet.lon},`,
    '  "wards": [',
    fleet.wards.map((w) => `    ${line(w)}`).join(',\n'),
    '  ],',
    '  "devices": [',
    fleet.devices.map((d) => `    ${line(d)}`).join(',\n'),
    '  ]',
    '}',
    '',
  ].join('\n');
}

for (const city of ['tay-ninh', 'hoi-an']) {
  const source = JSON.parse(
    readFileSync(new URL(`fleets/sources/${city}.json`, devicesDir), 'utf8'),
  ) as Source;
  const fleet = build(source);
  const text = write(fleet);
  // The writer must round-trip to the same data.
  if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(fleet))
    throw new Error(`${city}: writer does not round-trip`);
  writeFileSync(new URL(`fleets/${city}.json`, devicesDir), text);
  const byKind = new Map<string, number>();
  for (const d of fleet.devices) byKind.set(d.kind, (byKind.get(d.kind) ?? 0) + 1);
  const poles = new Set(fleet.devices.map((d) => d.pole).filter(Boolean)).size;
  console.log(
    `${city}: ${fleet.devices.length} devices, ${poles} poles; ${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}`,
  );
}
