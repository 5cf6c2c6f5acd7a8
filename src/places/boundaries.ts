// A boundary import: a GeoJSON FeatureCollection with one Feature per current unit, named by
// `properties.id` (our id) or `properties.code` (the statistics office's code, as the files of
// vietnamese-provinces-database are). Every feature is checked before anything is written, and the
// answer lists each bad feature with what is wrong, so a file is imported whole or not at all.
import { z } from 'zod';
import { bboxOf, Geometry } from './geometry.ts';
import type { Bilingual, Unit } from './schema.ts';
import { texts } from './texts.ts';

export const FeatureCollection = z.object({
  type: z.literal('FeatureCollection'),
  features: z
    .array(
      z
        .object({
          type: z.literal('Feature'),
          properties: z.record(z.string(), z.unknown()).nullable(),
          geometry: z.unknown(),
        })
        .loose(),
    )
    .min(1)
    .max(10_000),
});
export type FeatureCollection = z.infer<typeof FeatureCollection>;

export interface FeatureProblem extends Bilingual {
  /** Position of the feature in `features`. */
  index: number;
  id?: string;
  code?: string;
}

export interface CheckedBoundary {
  unitId: string;
  geometry: Geometry;
  bbox: number[];
}

const key = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;

export function checkBoundaries(
  collection: FeatureCollection,
  currentUnits: readonly Unit[],
): { boundaries: CheckedBoundary[]; problems: FeatureProblem[] } {
  const byId = new Map(currentUnits.map((u) => [u.id, u]));
  const byCode = new Map(currentUnits.map((u) => [u.code, u]));
  const taken = new Set<string>();
  const boundaries: CheckedBoundary[] = [];
  const problems: FeatureProblem[] = [];

  function checkFeature(
    id: string | undefined,
    code: string | undefined,
    raw: unknown,
  ): CheckedBoundary | Bilingual {
    if (!id && !code) return texts.featureNoKey;
    const unit = id ? byId.get(id) : byCode.get(code!);
    if (!unit) return texts.featureUnmatched(id ? `id "${id}"` : `code ${code}`);
    if (id && code && unit.code !== code) return texts.featureUnmatched(`id "${id}" and code ${code}`);
    const geometry = Geometry.safeParse(raw);
    if (!geometry.success) {
      const detail = geometry.error.issues.map((i) => `${i.path.join('.') || 'geometry'}: ${i.message}`);
      return texts.featureGeometry(detail.slice(0, 5).join('; '));
    }
    if (taken.has(unit.id)) return texts.featureTwice(unit.id);
    taken.add(unit.id);
    return { unitId: unit.id, geometry: geometry.data, bbox: bboxOf(geometry.data) };
  }

  for (const [index, feature] of collection.features.entries()) {
    const id = key(feature.properties?.id);
    const code = key(feature.properties?.code);
    const checked = checkFeature(id, code, feature.geometry);
    if ('unitId' in checked) boundaries.push(checked);
    else problems.push({ index, ...(id ? { id } : {}), ...(code ? { code } : {}), ...checked });
  }
  return { boundaries, problems };
}
