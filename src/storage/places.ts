// Queries of the places tables (migration 019): areas, units in force, former units and boundaries.
// Seeding refreshes only rows still as shipped (origin 'seed'); a row written through the API is
// 'admin' and a later start leaves it alone. Boundaries are written only by their import.
import type { Geometry } from '../places/geometry.ts';
import type { Area, FormerUnit, Unit } from '../places/schema.ts';
import type { Pool, PoolClient } from './pool.ts';

export type AreaRecord = Omit<Area, 'origin'>;
export type UnitRecord = Omit<Unit, 'origin' | 'boundaryBbox'>;
export type FormerUnitRecord = Omit<FormerUnit, 'origin'>;

export interface PlaceRows {
  areas: Area[];
  units: Unit[];
  formerUnits: FormerUnit[];
  boundaries: Map<string, Geometry>;
}

const areaColumns = `id, name_vi, name_en, province_code, province_name_vi, province_name_en, centre_lat,
  centre_lon, bounds_south, bounds_west, bounds_north, bounds_east, details, origin`;
const unitColumns = `id, area_id, name, full_name_vi, full_name_en, type, code, province_code, centre_lat,
  centre_lon, valid_from, valid_to, sources, details, origin`;
const formerColumns = `id, area_id, name, full_name_vi, full_name_en, type, code, valid_to, merged_into,
  sources, details, origin`;

function areaValues(a: AreaRecord, origin: string): unknown[] {
  return [
    a.id,
    a.name.vi,
    a.name.en,
    a.province.code,
    a.province.name.vi,
    a.province.name.en,
    a.centre.lat,
    a.centre.lon,
    a.bounds.south,
    a.bounds.west,
    a.bounds.north,
    a.bounds.east,
    JSON.stringify(a.details),
    origin,
  ];
}

function unitValues(u: UnitRecord, origin: string): unknown[] {
  return [
    u.id,
    u.area,
    u.name,
    u.fullName.vi,
    u.fullName.en,
    u.type,
    u.code,
    u.provinceCode,
    u.centre.lat,
    u.centre.lon,
    u.validFrom,
    u.validTo,
    JSON.stringify(u.sources),
    JSON.stringify(u.details),
    origin,
  ];
}

function formerValues(u: FormerUnitRecord, origin: string): unknown[] {
  return [
    u.id,
    u.area,
    u.name,
    u.fullName.vi,
    u.fullName.en,
    u.type,
    u.code,
    u.validTo,
    u.mergedInto,
    JSON.stringify(u.sources),
    JSON.stringify(u.details),
    origin,
  ];
}

const placeholders = (n: number) => Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ');
/** `col = excluded.col` for every column but the id and the origin. */
const refresh = (columns: string) =>
  columns
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== 'id' && c !== 'origin')
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');

const upsertArea = `INSERT INTO place_areas AS t (${areaColumns}) VALUES (${placeholders(14)})
  ON CONFLICT (id) DO UPDATE SET ${refresh(areaColumns)}, updated_at = now() WHERE t.origin = 'seed'`;
const upsertUnit = `INSERT INTO place_units AS t (${unitColumns}) VALUES (${placeholders(15)})
  ON CONFLICT (id) DO UPDATE SET ${refresh(unitColumns)}, updated_at = now() WHERE t.origin = 'seed'`;
const upsertFormer = `INSERT INTO place_former_units AS t (${formerColumns}) VALUES (${placeholders(12)})
  ON CONFLICT (id) DO UPDATE SET ${refresh(formerColumns)}, updated_at = now() WHERE t.origin = 'seed'`;

const date = (d: Date | string | null) =>
  d === null ? null : typeof d === 'string' ? d : d.toISOString().slice(0, 10);

// biome-ignore lint/suspicious/noExplicitAny: rows as pg returns them
type Row = Record<string, any>;

const toArea = (r: Row): Area => ({
  id: r.id,
  name: { vi: r.name_vi, en: r.name_en },
  province: { code: r.province_code, name: { vi: r.province_name_vi, en: r.province_name_en } },
  centre: { lat: r.centre_lat, lon: r.centre_lon },
  bounds: { south: r.bounds_south, west: r.bounds_west, north: r.bounds_north, east: r.bounds_east },
  details: r.details,
  origin: r.origin,
});

const toUnit = (r: Row): Unit => ({
  id: r.id,
  area: r.area_id,
  name: r.name,
  fullName: { vi: r.full_name_vi, en: r.full_name_en },
  type: r.type,
  code: r.code,
  provinceCode: r.province_code,
  centre: { lat: r.centre_lat, lon: r.centre_lon },
  boundaryBbox: r.boundary_bbox,
  validFrom: date(r.valid_from)!,
  validTo: date(r.valid_to),
  sources: r.sources,
  details: r.details,
  origin: r.origin,
});

const toFormer = (r: Row): FormerUnit => ({
  id: r.id,
  area: r.area_id,
  name: r.name,
  fullName: { vi: r.full_name_vi, en: r.full_name_en },
  type: r.type,
  code: r.code,
  validTo: date(r.valid_to)!,
  mergedInto: r.merged_into,
  sources: r.sources,
  details: r.details,
  origin: r.origin,
});

export interface PlaceQueries {
  /** The shipped places, in one transaction; rows an admin wrote stay as they are. */
  seed(areas: AreaRecord[], units: UnitRecord[], formerUnits: FormerUnitRecord[]): Promise<void>;
  all(): Promise<PlaceRows>;
  /** Changes to the three tables, as one text: another instance's edit changes it. */
  version(): Promise<string>;
  /** Which table already holds this id, if any (the three share one namespace). */
  idTaken(id: string): Promise<boolean>;
  insertArea(area: AreaRecord): Promise<void>;
  updateArea(area: AreaRecord): Promise<void>;
  insertUnit(unit: UnitRecord): Promise<void>;
  updateUnit(unit: UnitRecord): Promise<void>;
  /** Every boundary of the import, or none of them. */
  setBoundaries(
    boundaries: ReadonlyArray<{ unitId: string; geometry: Geometry; bbox: number[] }>,
  ): Promise<void>;
}

async function inTransaction(pool: Pool, work: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

export function createPlaceQueries(pool: Pool): PlaceQueries {
  return {
    seed: (areas, units, formerUnits) =>
      inTransaction(pool, async (client) => {
        for (const a of areas) await client.query(upsertArea, areaValues(a, 'seed'));
        for (const u of units) await client.query(upsertUnit, unitValues(u, 'seed'));
        for (const u of formerUnits) await client.query(upsertFormer, formerValues(u, 'seed'));
      }),

    async all() {
      const [areas, units, formers] = await Promise.all([
        pool.query(`SELECT ${areaColumns} FROM place_areas ORDER BY id`),
        pool.query(`SELECT ${unitColumns}, boundary, boundary_bbox FROM place_units ORDER BY area_id, id`),
        pool.query(`SELECT ${formerColumns} FROM place_former_units ORDER BY area_id, id`),
      ]);
      const boundaries = new Map<string, Geometry>();
      for (const r of units.rows) if (r.boundary) boundaries.set(r.id, r.boundary);
      return {
        areas: areas.rows.map(toArea),
        units: units.rows.map(toUnit),
        formerUnits: formers.rows.map(toFormer),
        boundaries,
      };
    },

    async version() {
      const { rows } = await pool.query<{ version: string }>(
        `SELECT concat_ws('|', (SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM place_areas),
                               (SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM place_units),
                               (SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') FROM place_former_units))
         AS version`,
      );
      return rows[0]!.version;
    },

    async idTaken(id) {
      const { rows } = await pool.query(
        `SELECT 1 FROM place_areas WHERE id = $1 UNION ALL SELECT 1 FROM place_units WHERE id = $1
         UNION ALL SELECT 1 FROM place_former_units WHERE id = $1`,
        [id],
      );
      return rows.length > 0;
    },

    async insertArea(area) {
      await pool.query(
        `INSERT INTO place_areas (${areaColumns}) VALUES (${placeholders(14)})`,
        areaValues(area, 'admin'),
      );
    },
    async updateArea(area) {
      await pool.query(
        `UPDATE place_areas SET (${areaColumns}, updated_at) = (${placeholders(14)}, now()) WHERE id = $1`,
        areaValues(area, 'admin'),
      );
    },
    async insertUnit(unit) {
      await pool.query(
        `INSERT INTO place_units (${unitColumns}) VALUES (${placeholders(15)})`,
        unitValues(unit, 'admin'),
      );
    },
    async updateUnit(unit) {
      await pool.query(
        `UPDATE place_units SET (${unitColumns}, updated_at) = (${placeholders(15)}, now()) WHERE id = $1`,
        unitValues(unit, 'admin'),
      );
    },

    setBoundaries: (boundaries) =>
      inTransaction(pool, async (client) => {
        await client.query(
          `UPDATE place_units u SET boundary = b.geometry, boundary_bbox = ARRAY[b.w, b.s, b.e, b.n],
                  updated_at = now()
           FROM unnest($1::text[], $2::jsonb[], $3::float8[], $4::float8[], $5::float8[], $6::float8[])
                AS b(id, geometry, w, s, e, n)
           WHERE u.id = b.id`,
          [
            boundaries.map((b) => b.unitId),
            boundaries.map((b) => JSON.stringify(b.geometry)),
            boundaries.map((b) => b.bbox[0]),
            boundaries.map((b) => b.bbox[1]),
            boundaries.map((b) => b.bbox[2]),
            boundaries.map((b) => b.bbox[3]),
          ],
        );
      }),
  };
}
