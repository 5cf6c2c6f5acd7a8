// devices/kinds/*.json read as the shipped device profiles. Every file there is one profile, named by
// its `kind`; the six kinds the code knows by name must be among them.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KindDefinition, kindNames } from '../catalog/schema.ts';
import type { ProfileRecord } from '../storage/profiles.ts';

export const defaultKindsDir = new URL('../../devices/kinds/', import.meta.url).pathname;

/** The kind files as the catalog reads them (devices/kinds/{kind}.json). */
export function readKindFiles(dir = defaultKindsDir): KindDefinition[] {
  const kinds: KindDefinition[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()) {
    const path = join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as Error).message}`);
    }
    const result = KindDefinition.safeParse(raw);
    if (!result.success) {
      const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
      throw new Error(`${path} does not match the catalog schema:\n${problems}`);
    }
    if (`${result.data.kind}.json` !== file)
      throw new Error(`devices/kinds/${file} declares kind "${result.data.kind}"`);
    kinds.push(result.data);
  }
  const found = new Set(kinds.map((k) => k.kind));
  for (const name of kindNames)
    if (!found.has(name)) throw new Error(`devices/kinds/${name}.json is missing`);
  return kinds;
}

export function profileRecord(kind: KindDefinition): ProfileRecord {
  return {
    id: kind.kind,
    name: kind.name,
    description: kind.description,
    reportingIntervalS: kind.reportingIntervalS,
    metrics: kind.metrics,
    primaryMetrics: kind.primaryMetrics ?? [],
    ngsiLdType: kind.ngsiLdType ?? null,
  };
}

export const readShippedProfiles = (dir = defaultKindsDir): ProfileRecord[] =>
  readKindFiles(dir).map(profileRecord);
