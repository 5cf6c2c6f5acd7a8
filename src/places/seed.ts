// devices/places/*.json read into the records the places tables hold: areas.json, units.json (in force
// since 1 July 2025) and historical-units.json (the former units, each with the unit it went into).
// What the tables have no column for (former district, formedFrom, how a centre was chosen) is kept
// in `details`, so nothing the sources say is dropped on the way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { AreaRecord, FormerUnitRecord, UnitRecord } from '../storage/places.ts';
import { AreaFile, FormerUnitFile, UnitFile } from './schema.ts';

export const defaultPlacesDir = new URL('../../devices/places/', import.meta.url).pathname;

export interface ShippedPlaces {
  areas: AreaRecord[];
  units: UnitRecord[];
  formerUnits: FormerUnitRecord[];
}

function read<T extends z.ZodType>(schema: T, path: string): z.infer<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
  throw new Error(`${path} does not match the places schema:\n${problems}`);
}

function rest(object: Record<string, unknown>, taken: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([key]) => !taken.includes(key)));
}

export function readShippedPlaces(dir = defaultPlacesDir): ShippedPlaces {
  const areaFile = read(AreaFile, join(dir, 'areas.json'));
  const unitFile = read(UnitFile, join(dir, 'units.json'));
  const formerFile = read(FormerUnitFile, join(dir, 'historical-units.json'));

  const areas = areaFile.areas.map(
    (a): AreaRecord => ({
      id: a.id,
      name: a.name,
      province: { code: a.province.code, name: a.province.name },
      centre: { lat: a.centre.lat, lon: a.centre.lon },
      bounds: a.defaultBounds,
      details: { ...rest(a, ['id', 'name', 'province', 'defaultBounds']), province: a.province },
    }),
  );
  const units = unitFile.units.map(
    (u): UnitRecord => ({
      id: u.id,
      area: u.area,
      name: u.name,
      fullName: u.fullName,
      type: u.type,
      code: u.code,
      provinceCode: u.provinceCode,
      centre: { lat: u.centre.lat, lon: u.centre.lon },
      validFrom: u.validFrom,
      validTo: u.validTo ?? null,
      sources: u.sources,
      details: rest(u, [
        'id',
        'area',
        'name',
        'fullName',
        'type',
        'code',
        'provinceCode',
        'validFrom',
        'validTo',
        'sources',
      ]),
    }),
  );
  const formerUnits = formerFile.units.map(
    (u): FormerUnitRecord => ({
      id: u.id,
      area: u.area,
      name: u.name,
      fullName: u.fullName,
      type: u.type,
      code: u.code,
      validTo: u.validTo,
      mergedInto: u.mergedInto,
      sources: u.sources,
      details: rest(u, [
        'id',
        'area',
        'name',
        'fullName',
        'type',
        'code',
        'validTo',
        'mergedInto',
        'sources',
      ]),
    }),
  );
  checkShipped({ areas, units, formerUnits });
  return { areas, units, formerUnits };
}

/** The files refer to each other by id: every reference resolves and no id is used twice. */
function checkShipped({ areas, units, formerUnits }: ShippedPlaces): void {
  const seen = new Set<string>();
  for (const { id } of [...areas, ...units, ...formerUnits]) {
    if (seen.has(id)) throw new Error(`devices/places: id ${id} is used twice`);
    seen.add(id);
  }
  const areaIds = new Set(areas.map((a) => a.id));
  const unitIds = new Set(units.map((u) => u.id));
  for (const u of [...units, ...formerUnits])
    if (!areaIds.has(u.area)) throw new Error(`devices/places: ${u.id} is in unknown area ${u.area}`);
  for (const u of formerUnits)
    if (!unitIds.has(u.mergedInto))
      throw new Error(`devices/places: ${u.id} went into unknown unit ${u.mergedInto}`);
}
