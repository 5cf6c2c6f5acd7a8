import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { createPlaces, type Places } from '../../src/places/index.ts';
import { createPlaceQueries } from '../../src/storage/places.ts';
import type { Pool } from '../../src/storage/pool.ts';
import { useMigratedDatabase } from '../helpers/database.ts';

let pool: Pool;
useMigratedDatabase((p) => {
  pool = p;
});

const log = createLogger('silent');
const start = async (now = () => new Date('2026-12-07T03:00:00Z')) => {
  const places = createPlaces({ queries: createPlaceQueries(pool), log, formerIdsUntil: '2027-06-30', now });
  await places.start();
  return places;
};

const square = (west: number, south: number, east: number, north: number) => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
];

let places: Places;
beforeAll(async () => {
  places = await start();
});

describe('places seeded from devices/places', () => {
  it('hold the two areas, their seven units in force and the 23 former units with the unit each went into', () => {
    expect(places.areas().map((a) => [a.id, a.province.code])).toEqual([
      ['hoi-an', '48'],
      ['tay-ninh', '80'],
    ]);
    expect(places.currentUnits('tay-ninh').map((u) => [u.id, u.code])).toEqual([
      ['phuong-binh-minh', '25480'],
      ['phuong-ninh-thanh', '25567'],
      ['phuong-tan-ninh', '25459'],
    ]);
    expect(places.currentUnits('hoi-an').map((u) => u.id)).toEqual([
      'phuong-hoi-an',
      'phuong-hoi-an-dong',
      'phuong-hoi-an-tay',
      'xa-tan-hiep',
    ]);
    expect(places.formerUnits()).toHaveLength(23);
    expect(places.formerUnit('phuong-3')).toMatchObject({
      mergedInto: 'phuong-tan-ninh',
      validTo: '2025-06-30',
    });
    expect(places.formerUnit('cam-thanh')).toMatchObject({
      mergedInto: 'phuong-hoi-an-dong',
      type: 'commune',
    });
    expect(places.unit('xa-tan-hiep')).toMatchObject({ type: 'commune', fullName: { vi: 'Xã Tân Hiệp' } });
  });

  it('seed again on every start without duplicating, and leave what an admin edited as edited', async () => {
    await places.updateUnit('phuong-hoi-an', {
      fullName: { vi: 'Phường Hội An (sửa)', en: 'Hội An Ward (edited)' },
    });
    // A shipped row that drifted (an older release's text) is brought back to the files.
    await pool.query("UPDATE place_units SET name = 'stale' WHERE id = 'phuong-tan-ninh'");
    const again = await start();
    expect(again.unit('phuong-hoi-an')).toMatchObject({
      origin: 'admin',
      fullName: { vi: 'Phường Hội An (sửa)' },
    });
    expect(again.unit('phuong-tan-ninh')).toMatchObject({ origin: 'seed', name: 'Tân Ninh' });
    const { rows } = await pool.query(
      `SELECT (SELECT count(*) FROM place_areas)::int AS areas, (SELECT count(*) FROM place_units)::int AS units,
              (SELECT count(*) FROM place_former_units)::int AS former`,
    );
    expect(rows[0]).toEqual({ areas: 2, units: 7, former: 23 });
  });

  it('take a former unit id as its current unit until the configured day, with a notice, and refuse it after', async () => {
    const place = places.placeOf({ city: 'tay-ninh', ward: 'phuong-3' });
    expect(place).toMatchObject({ ward: 'phuong-tan-ninh', wardBefore2025: 'phuong-3' });
    expect(place.notice?.vi).toMatch(/đơn vị cũ/);
    expect(place.notice?.en).toMatch(/former unit/);
    expect(places.placeOf({ city: 'hoi-an', ward: 'phuong-hoi-an-tay' })).toEqual({
      city: 'hoi-an',
      ward: 'phuong-hoi-an-tay',
      wardBefore2025: null,
    });
    const later = await start(() => new Date('2027-07-01T00:00:00+07:00'));
    expect(() => later.placeOf({ city: 'tay-ninh', ward: 'phuong-3' })).toThrow(/phuong-tan-ninh/);
  });

  it('refuse an unknown area or a unit of another area, in Vietnamese and English', () => {
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return error as AppError;
      }
      throw new Error('not refused');
    };
    const wrongArea = refusal(() => places.placeOf({ city: 'da-lat', ward: 'phuong-1' }));
    expect(wrongArea.code).toBe('VALIDATION_FAILED');
    expect(wrongArea.details).toMatchObject({
      vi: expect.stringMatching(/Không có địa bàn/),
      en: expect.stringMatching(/no area/),
    });
    const wrongUnit = refusal(() => places.placeOf({ city: 'hoi-an', ward: 'phuong-tan-ninh' }));
    expect(wrongUnit.message).toMatch(/không phải đơn vị hành chính.*\/ .*not an administrative unit/);
  });
});

describe('boundaries', () => {
  const good = {
    type: 'FeatureCollection' as const,
    features: [
      {
        type: 'Feature' as const,
        properties: { id: 'phuong-tan-ninh' },
        geometry: {
          type: 'Polygon',
          coordinates: [square(106.07, 11.29, 106.13, 11.34), square(106.1, 11.3, 106.11, 11.31)],
        },
      },
      {
        type: 'Feature' as const,
        properties: { code: '25480' },
        geometry: {
          type: 'MultiPolygon',
          coordinates: [[square(106.07, 11.34, 106.19, 11.44)], [square(106.1, 11.3, 106.11, 11.31)]],
        },
      },
    ],
  };

  it('are imported whole or not at all: one bad feature refuses the file, each problem named', async () => {
    const bad = {
      ...good,
      features: [
        ...good.features,
        { type: 'Feature' as const, properties: { code: '99999' }, geometry: good.features[0]!.geometry },
        {
          type: 'Feature' as const,
          properties: { id: 'phuong-ninh-thanh' },
          geometry: {
            type: 'Polygon',
            coordinates: [
              [
                [106, 11],
                [106.1, 11],
                [106, 11.1],
              ],
            ],
          },
        },
        { type: 'Feature' as const, properties: {}, geometry: good.features[0]!.geometry },
      ],
    };
    const error = await places.importBoundaries(bad).catch((e: AppError) => e);
    expect(error).toBeInstanceOf(AppError);
    const features = (error as AppError).details as {
      features: Array<{ index: number; vi: string; en: string }>;
    };
    expect(features.features.map((f) => f.index)).toEqual([2, 3, 4]);
    expect(features.features[0]!.en).toMatch(/No current unit has code 99999/);
    expect(features.features[1]!.en).toMatch(/at least four positions/);
    expect(features.features[2]!.vi).toMatch(/Thiếu properties.id/);
    const { rows } = await pool.query(
      'SELECT count(*)::int AS n FROM place_units WHERE boundary IS NOT NULL',
    );
    expect(rows[0].n).toBe(0);
    expect(places.unitAt(11.32, 106.08)).toBeUndefined();
  });

  it("decide a position's unit once imported: holes and the parts of a MultiPolygon count", async () => {
    expect(await places.importBoundaries(good)).toEqual({
      imported: ['phuong-tan-ninh', 'phuong-binh-minh'],
    });
    expect(places.unitAt(11.32, 106.08)?.id).toBe('phuong-tan-ninh');
    expect(places.unitAt(11.305, 106.105)?.id).toBe('phuong-binh-minh'); // Tân Ninh's hole, Bình Minh's island
    expect(places.unitAt(11.4, 106.15)?.id).toBe('phuong-binh-minh');
    expect(places.unitAt(11.4, 106.15, 'hoi-an')).toBeUndefined();
    expect(places.unitAt(15.87, 108.33)).toBeUndefined();
    // The position wins over the unit named; the former unit named is kept for the record.
    expect(places.placeOf({ city: 'tay-ninh', ward: 'phuong-1', lat: 11.4, lon: 106.15 })).toEqual({
      city: 'tay-ninh',
      ward: 'phuong-binh-minh',
      wardBefore2025: 'phuong-1',
    });
    // Where no boundary holds the position, the unit named decides.
    expect(places.placeOf({ city: 'tay-ninh', ward: 'phuong-ninh-thanh', lat: 11.2, lon: 106.2 }).ward).toBe(
      'phuong-ninh-thanh',
    );
    const reloaded = await start();
    expect(reloaded.unitAt(11.32, 106.08)?.id).toBe('phuong-tan-ninh');
    expect(reloaded.unit('phuong-tan-ninh')?.boundaryBbox).toEqual([106.07, 11.29, 106.13, 11.34]);
  });
});

describe('several instances', () => {
  it('see an edit made on another instance at their next check, and skip the reload when nothing changed', async () => {
    const other = await start();
    expect(await other.refreshIfChanged()).toBe(false);
    await places.updateArea('hoi-an', { centre: { lat: 15.88, lon: 108.33 } });
    expect(other.area('hoi-an')?.centre).not.toEqual({ lat: 15.88, lon: 108.33 });
    expect(await other.refreshIfChanged()).toBe(true);
    expect(other.area('hoi-an')).toMatchObject({ centre: { lat: 15.88, lon: 108.33 }, origin: 'admin' });
    expect(await other.refreshIfChanged()).toBe(false);
  });
});
