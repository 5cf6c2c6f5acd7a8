// The device catalog: devices/kinds/*.json and devices/fleets/*.json, validated once at start-up.
// Everything that needs to know what a kind measures asks this object.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CityId,
  Fleet,
  type Fleet as FleetData,
  type KindDefinition,
  type KindName,
  KindDefinition as KindSchema,
  kindNames,
} from './schema.ts';

export const defaultDevicesDir = new URL('../../devices/', import.meta.url).pathname;

export interface Catalog {
  kinds: ReadonlyMap<KindName, KindDefinition>;
  fleets: ReadonlyMap<CityId, FleetData>;
  kind(name: KindName): KindDefinition;
  hasWard(city: string, ward: string): boolean;
  wardIds(city: string): string[];
  /** The ward's official name with diacritics (e.g. `Phường 3`), or its id when unknown. */
  wardName(city: string, ward: string): string;
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

export function loadCatalog(dir = defaultDevicesDir): Catalog {
  const kinds = new Map<KindName, KindDefinition>();
  for (const name of kindNames) {
    const definition = parseFile<KindDefinition>(KindSchema, join(dir, 'kinds', `${name}.json`));
    if (definition.kind !== name)
      throw new Error(`devices/kinds/${name}.json declares kind "${definition.kind}"`);
    kinds.set(name, definition);
  }

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
    }
    fleets.set(fleet.city, fleet);
  }

  return {
    kinds,
    fleets,
    kind(name) {
      const definition = kinds.get(name);
      if (!definition) throw new Error(`unknown kind ${name}`);
      return definition;
    },
    hasWard: (city, ward) => fleets.get(city as CityId)?.wards.some((w) => w.id === ward) ?? false,
    wardIds: (city) => fleets.get(city as CityId)?.wards.map((w) => w.id) ?? [],
    wardName: (city, ward) => fleets.get(city as CityId)?.wards.find((w) => w.id === ward)?.name ?? ward,
  };
}
