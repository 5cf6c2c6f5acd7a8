// A scope in the API: `"all"` or the area and unit ids (src/auth/scope.ts), as admins set it on a user
// or a province API key and as the answers show it. Ids are checked against the places the IOC knows
// before anything is stored, so a typo never becomes a scope that silently reaches nothing.
import { z } from 'zod';
import { maxScopeIds } from '../auth/scope.ts';
import { AppError } from '../errors.ts';

const PlaceId = z
  .string()
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'an area or unit id, e.g. hoi-an or phuong-hoi-an');

export const ScopeInput = z
  .union([
    z.literal('all'),
    z
      .array(PlaceId)
      .min(1)
      .max(maxScopeIds)
      .transform((ids) => [...new Set(ids)].sort()),
  ])
  .describe(
    '`all`: mọi địa bàn; hoặc mã địa bàn và phường/xã (GET /api/v1/places/areas) / ' +
      '`all`: every area; or area and unit ids (GET /api/v1/places/areas)',
  );

export const ScopeBody = z
  .union([z.literal('all'), z.array(z.string())])
  .describe('`all`, hoặc các mã địa bàn và phường/xã / `all`, or the area and unit ids');

/** The ids to store (null: every area), refused when one names no known area or unit. */
export async function checkedScope(
  scope: 'all' | string[],
  unknownPlaces: (ids: readonly string[]) => Promise<string[]>,
): Promise<string[] | null> {
  if (scope === 'all') return null;
  const unknown = await unknownPlaces(scope);
  if (unknown.length > 0) {
    const vi = `không có địa bàn hay phường/xã ${unknown.join(', ')}`;
    const en = `no area or unit ${unknown.join(', ')}; see GET /api/v1/places/areas`;
    // details.fields: the admin forms show the refusal beside the scope field, in the reader's language.
    throw new AppError('VALIDATION_FAILED', `scope: ${vi} / ${en}`, { fields: [{ field: 'scope', vi, en }] });
  }
  return scope;
}
