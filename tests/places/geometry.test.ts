import { describe, expect, it } from 'vitest';
import { bboxOf, contains, Geometry } from '../../src/places/geometry.ts';

const ring = (points: Array<[number, number]>) => [...points, points[0]!];
// A concave outline (an L) with a square hole, and an island beside it.
const outline = ring([
  [0, 0],
  [4, 0],
  [4, 1],
  [1, 1],
  [1, 4],
  [0, 4],
]);
const hole = ring([
  [0.2, 0.2],
  [0.6, 0.2],
  [0.6, 0.6],
  [0.2, 0.6],
]);
const island = ring([
  [3, 3],
  [4, 3],
  [4, 4],
  [3, 4],
]);
const shape = Geometry.parse({ type: 'MultiPolygon', coordinates: [[outline, hole], [island]] });

describe('a position inside a boundary', () => {
  it.each([
    ['in the long arm', 3, 0.5, true],
    ['in the short arm', 0.5, 3, true],
    ['in the notch of the L', 2, 2, false],
    ['in the hole', 0.4, 0.4, false],
    ['beside the hole', 0.8, 0.4, true],
    ['on the island', 3.5, 3.5, true],
    ['west of everything', -1, 0.5, false],
  ])('%s (lon %d, lat %d): %s', (_, lon, lat, inside) => {
    expect(contains(shape, lat, lon)).toBe(inside);
  });

  it('has the outer rings as its bounding box, west, south, east, north', () => {
    expect(bboxOf(shape)).toEqual([0, 0, 4, 4]);
  });

  it('refuses what RFC 7946 does not call a polygon', () => {
    const refused = [
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [0, 1],
          ],
        ],
      }, // three positions
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      }, // not closed
      {
        type: 'Polygon',
        coordinates: [
          ring([
            [0, 0],
            [0, 95],
            [1, 1],
          ]),
        ],
      }, // latitude 95
      {
        type: 'LineString',
        coordinates: [
          [0, 0],
          [1, 1],
        ],
      },
    ];
    for (const geometry of refused)
      expect(Geometry.safeParse(geometry).success, JSON.stringify(geometry)).toBe(false);
  });
});
