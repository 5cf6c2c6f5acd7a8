// Unit boundaries as GeoJSON (RFC 7946) and the position lookup on them, in TypeScript: the machine's
// PostgreSQL has no PostGIS, and a city has tens of units, so a bounding-box pass and a ray cast over
// the few rings left answer a lookup in microseconds without a round trip.
import { z } from 'zod';

const Position = z
  .array(z.number())
  .min(2)
  .max(3) // RFC 7946 3.1.1: longitude, latitude, optional altitude
  .refine(
    ([lon, lat]) => Math.abs(lon!) <= 180 && Math.abs(lat!) <= 90,
    'longitude then latitude, in degrees',
  );

// RFC 7946 3.1.6: a linear ring is closed, with four or more positions.
const Ring = z
  .array(Position)
  .min(4, 'a ring has at least four positions')
  .max(100_000)
  .refine((ring) => {
    const first = ring[0]!;
    const last = ring[ring.length - 1]!;
    return first[0] === last[0] && first[1] === last[1];
  }, 'a ring ends where it starts');

const PolygonCoordinates = z.array(Ring).min(1, 'a polygon has an outer ring').max(1_000);

export const Geometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Polygon'), coordinates: PolygonCoordinates }),
  z.object({ type: z.literal('MultiPolygon'), coordinates: z.array(PolygonCoordinates).min(1).max(1_000) }),
]);
export type Geometry = z.infer<typeof Geometry>;

/** [west, south, east, north], as GeoJSON writes a bbox. */
export type Bbox = [number, number, number, number];

function polygonsOf(geometry: Geometry): number[][][][] {
  return geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
}

export function bboxOf(geometry: Geometry): Bbox {
  let west = Number.POSITIVE_INFINITY;
  let south = Number.POSITIVE_INFINITY;
  let east = Number.NEGATIVE_INFINITY;
  let north = Number.NEGATIVE_INFINITY;
  for (const polygon of polygonsOf(geometry))
    for (const [lon, lat] of polygon[0]!) {
      west = Math.min(west, lon!);
      east = Math.max(east, lon!);
      south = Math.min(south, lat!);
      north = Math.max(north, lat!);
    }
  return [west, south, east, north];
}

export function inBbox(bbox: Bbox, lat: number, lon: number): boolean {
  return lon >= bbox[0] && lon <= bbox[2] && lat >= bbox[1] && lat <= bbox[3];
}

/** Even-odd ray cast towards +longitude; a point exactly on an edge may fall either side. */
function inRing(ring: number[][], lat: number, lon: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Inside the outer ring of one of the polygons and inside none of that polygon's holes. */
export function contains(geometry: Geometry, lat: number, lon: number): boolean {
  return polygonsOf(geometry).some(
    ([outer, ...holes]) => inRing(outer!, lat, lon) && !holes.some((hole) => inRing(hole, lat, lon)),
  );
}
