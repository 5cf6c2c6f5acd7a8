// The device catalog: devices/kinds/*.json and devices/fleets/*.json, validated once at start-up.
// Everything that needs to know what a kind measures asks this object. Kind questions go to the device
// profiles when a source of them is given (the shipped kinds and those an admin added, src/profiles);
// without it, to the kind files. Ward questions go to the places area when one is given (units in
// force, former units mapped to them); without it, to the fleet files.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Places } from '../places/index.ts';
import { readKindFiles } from '../profiles/seed.ts';
import { type CityId, Fleet, type Fleet as FleetData, type KindDefinition, type KindName } from './schema.ts';

export const defaultDevicesDir = new URL('../../devices/', import.meta.url).pathname;

/** Where the kinds come from at run time: the device profiles (src/profiles), or a fixed set. */
export interface KindSource {
  /** The current kinds; a new map after every change, so a caller may hold one for a message. */
  kinds(): ReadonlyMap<KindName, KindDefinition>;
}

export interface Catalog {
  /** Every kind known now (the device profiles when the catalog was given them). */
  readonly kinds: ReadonlyMap<KindName, KindDefinition>;
  fleets: ReadonlyMap<CityId, FleetData>;
  /** The kind's definition; throws for a kind that is not (or no longer) a profile. */
  kind(name: KindName): KindDefinition;
  /** The areas with their centres (devices/places and those an admin added; else the fleets). */
  areas(): Array<{ id: string; lat: number; lon: number }>;
  /** Whether the area exists (devices/places, or one an admin added). */
  hasCity(city: string): boolean;
  /** A unit in force of the area, or a former unit of it (still accepted on input). */
  hasWard(city: string, ward: string): boolean;
  /** The units in force. */
  wardIds(city: string): string[];
  /** The unit's official name with diacritics (e.g. `Phường Tân Ninh`), or its id when unknown. */
  wardName(city: string, ward: string): string;
  /**
   * The unit in force a ward id stands for: itself, or the unit a former unit (of `city`, or of any
   * area when none is given) went into. Refuses a former id after PLACES_FORMER_IDS_UNTIL.
   */
  currentWard(city: string | undefined, ward: string): string;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function parseFile<T>(
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
  path: string,
): T {
  const result = schema.safeParse(readJson(path));
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
  throw new Error(`${path} does not match the catalog schema:\n${problems}`);
}

export function loadCatalog(dir = defaultDevicesDir, places?: Places, profiles?: KindSource): Catalog {
  const shipped = new Map(readKindFiles(join(dir, 'kinds')).map((k) => [k.kind, k]));
  const kinds = profiles ? () => profiles.kinds() : () => shipped;

  const fleets = new Map<CityId, FleetData>();
  const seen = new Set<string>();
  for (const file of readdirSync(join(dir, 'fleets'))
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const fleet = parseFile<FleetData>(Fleet, join(dir, 'fleets', file));
    const wards = new Set(fleet.wards.map((w) => w.id));
    for (const device of fleet.devices) {
      if (seen.has(device.id))
        throw new Error(`devices/fleets/${file}: device id ${device.id} appears twice`);
      seen.add(device.id);
      if (!wards.has(device.ward))
        throw new Error(`devices/fleets/${file}: ${device.id} is in unknown ward ${device.ward}`);
      if (!shipped.has(device.kind))
        throw new Error(`devices/fleets/${file}: ${device.id} is of unknown kind ${device.kind}`);
    }
    fleets.set(fleet.city, fleet);
  }

  return {
    get kinds() {
      return kinds();
    },
    fleets,
    kind(name) {
      const definition = kinds().get(name);
      if (!definition) throw new Error(`unknown kind ${name}`);
      return definition;
    },
    areas: () =>
      places
        ? places.areas().map((a) => ({ id: a.id, lat: a.centre.lat, lon: a.centre.lon }))
        : [...fleets.values()].map((f) => ({ id: f.city, lat: f.lat, lon: f.lon })),
    hasCity: (city) => (places ? places.area(city) !== undefined : fleets.has(city as CityId)),
    hasWard: (city, ward) =>
      places
        ? places.currentUnits(city).some((u) => u.id === ward) || places.formerUnit(ward)?.area === city
        : (fleets.get(city as CityId)?.wards.some((w) => w.id === ward) ?? false),
    wardIds: (city) =>
      places
        ? places.currentUnits(city).map((u) => u.id)
        : (fleets.get(city as CityId)?.wards.map((w) => w.id) ?? []),
    wardName: (city, ward) =>
      places
        ? places.unitName(ward)
        : (fleets.get(city as CityId)?.wards.find((w) => w.id === ward)?.name ?? ward),
    currentWard(city, ward) {
      if (!places || ward === '' || ward === '*') return ward;
      const former = places.formerUnit(ward);
      return former && (city === undefined || former.area === city)
        ? places.filterUnit(former.area, ward).ward
        : ward;
    },
  };
}
