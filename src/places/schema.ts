// The shapes of places: what devices/places/*.json hold, what the API takes and what it answers.
// One id pattern for areas, current units and former units: together they form one namespace.
import { z } from 'zod';

export const PlaceId = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'lower-case letters, digits and dashes, 2 to 63 characters');

export const Bilingual = z.object({ vi: z.string().min(1).max(200), en: z.string().min(1).max(200) });
export type Bilingual = z.infer<typeof Bilingual>;

export const unitTypes = ['ward', 'commune', 'special_zone'] as const;
export const UnitType = z.enum(unitTypes);
export type UnitType = z.infer<typeof UnitType>;
/** How each type is written in Vietnamese, for labels (phường, xã, đặc khu). */
export const unitTypeVi: Record<UnitType, string> = {
  ward: 'phường',
  commune: 'xã',
  special_zone: 'đặc khu',
};

const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);
export const Point = z.object({ lat: Latitude, lon: Longitude });
export const Bounds = z
  .object({ south: Latitude, west: Longitude, north: Latitude, east: Longitude })
  .refine((b) => b.south < b.north && b.west < b.east, 'south below north and west below east');
const IsoDate = z.iso.date().max(10);
const ProvinceCode = z
  .string()
  .max(2)
  .regex(/^\d{2}$/, 'two digits (Công văn 915/CTK-CSCL)');
const UnitCode = z
  .string()
  .max(5)
  .regex(/^\d{5}$/, 'five digits (the statistics office code)');
const Source = z.object({ ref: z.string().min(1).max(100), cite: z.string().max(500).optional() }).loose();

// ---- devices/places/*.json (fields beyond these are kept in `details`) ----

export const AreaFile = z.object({
  areas: z.array(
    z
      .object({
        id: PlaceId,
        name: Bilingual,
        province: z.object({ code: ProvinceCode, name: Bilingual }).loose(),
        centre: Point.loose(),
        defaultBounds: Bounds,
        sources: z.array(Source).default([]),
      })
      .loose(),
  ),
});

/** What a unit in force and a former unit both say of themselves in the shipped files. */
const unitFileFields = {
  id: PlaceId,
  area: PlaceId,
  name: z.string().min(1),
  fullName: Bilingual,
  type: UnitType,
  code: UnitCode,
};

export const UnitFile = z.object({
  units: z.array(
    z
      .object({
        ...unitFileFields,
        provinceCode: ProvinceCode,
        centre: Point.loose(),
        validFrom: IsoDate,
        validTo: IsoDate.optional(),
        sources: z.array(Source).default([]),
      })
      .loose(),
  ),
});

export const FormerUnitFile = z.object({
  units: z.array(
    z
      .object({
        ...unitFileFields,
        validTo: IsoDate,
        mergedInto: PlaceId,
        sources: z.array(Source).default([]),
      })
      .loose(),
  ),
});

// ---- what the places area holds and the API answers ----

export const Area = z.object({
  id: PlaceId,
  name: Bilingual,
  province: z.object({ code: ProvinceCode, name: Bilingual }),
  centre: Point,
  bounds: Bounds,
  details: z.record(z.string(), z.unknown()),
  /** `seed`: as shipped in devices/places (a later start refreshes it); `admin`: written through the API. */
  origin: z.enum(['seed', 'admin']),
});
export type Area = z.infer<typeof Area>;

export const Unit = z.object({
  id: PlaceId,
  area: PlaceId,
  name: z.string(),
  fullName: Bilingual,
  type: UnitType,
  code: UnitCode,
  provinceCode: ProvinceCode,
  centre: Point,
  /** [west, south, east, north] of the imported boundary; null while the unit has none. */
  boundaryBbox: z.array(z.number()).length(4).nullable(),
  validFrom: IsoDate,
  validTo: IsoDate.nullable(),
  sources: z.array(Source),
  details: z.record(z.string(), z.unknown()),
  origin: z.enum(['seed', 'admin']),
});
export type Unit = z.infer<typeof Unit>;

export const FormerUnit = z.object({
  id: PlaceId,
  area: PlaceId,
  name: z.string(),
  fullName: Bilingual,
  type: UnitType,
  code: UnitCode,
  validTo: IsoDate,
  /** The current unit it went into, whole (Nghị quyết 1682 and 1659/NQ-UBTVQH15 for the shipped areas). */
  mergedInto: PlaceId,
  sources: z.array(Source),
  details: z.record(z.string(), z.unknown()),
  origin: z.enum(['seed', 'admin']),
});
export type FormerUnit = z.infer<typeof FormerUnit>;

// ---- API input ----

export const AreaInput = z
  .object({
    id: PlaceId,
    name: Bilingual,
    province: z.object({ code: ProvinceCode, name: Bilingual }).strict(),
    centre: Point.strict(),
    bounds: Bounds,
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type AreaInput = z.infer<typeof AreaInput>;
export const AreaPatch = AreaInput.omit({ id: true }).partial().strict();
export type AreaPatch = z.infer<typeof AreaPatch>;

const UnitFields = z
  .object({
    id: PlaceId,
    area: PlaceId,
    name: z.string().min(1).max(200),
    fullName: Bilingual,
    type: UnitType,
    code: UnitCode,
    provinceCode: ProvinceCode.optional().describe("defaults to the area's province"),
    centre: Point.strict(),
    validFrom: IsoDate,
    validTo: IsoDate.nullable().optional(),
    sources: z.array(Source).max(50).optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export const UnitInput = UnitFields.extend({
  validFrom: IsoDate.default('2025-07-01').describe('the day the unit took effect; 2025-07-01 unless given'),
});
export type UnitInput = z.infer<typeof UnitInput>;
export const UnitPatch = UnitFields.omit({ id: true, area: true }).partial().strict();
export type UnitPatch = z.infer<typeof UnitPatch>;
