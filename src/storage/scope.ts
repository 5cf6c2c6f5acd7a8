// The scope rule of src/auth/scope.ts in SQL, for the queries that list what a scoped user or key may
// see: a row is in when its area or its unit is one of the ids. A global caller adds no condition, so
// its queries are the ones they were.
import type { Scope } from '../auth/scope.ts';
import { scopeIds } from '../auth/scope.ts';
import type { Pool } from './pool.ts';

/** The columns holding a row's area and unit (`a.city`, `a.ward` in a join). */
export interface PlaceColumns {
  city: string;
  ward: string;
}

const plain: PlaceColumns = { city: 'city', ward: 'ward' };

/**
 * A condition for a WHERE clause built with positional parameters, its ids pushed onto `params`;
 * undefined for the global scope (no condition).
 */
export function scopeCondition(
  scope: Scope,
  params: unknown[],
  columns: PlaceColumns = plain,
): string | undefined {
  const ids = scopeIds(scope);
  if (!ids) return undefined;
  params.push(ids);
  const n = `$${params.length}::text[]`;
  return `(${columns.city} = ANY(${n}) OR ${columns.ward} = ANY(${n}))`;
}

/**
 * The same for a query with a fixed parameter list: pass `scopeParameter(scope)` as parameter `$n` and
 * put `scopeClause('$n')` in the WHERE clause (true for every row when the parameter is null).
 */
export function scopeParameter(scope: Scope): string[] | null {
  return scopeIds(scope);
}

export function scopeClause(parameter: string, columns: PlaceColumns = plain): string {
  return `(${parameter}::text[] IS NULL OR ${columns.city} = ANY(${parameter}::text[]) OR ${columns.ward} = ANY(${parameter}::text[]))`;
}

/** The ids that name neither an area nor a unit in force (place_areas, place_units). */
export async function unknownPlaces(pool: Pool, ids: readonly string[]): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM unnest($1::text[]) AS given (id)
     WHERE NOT EXISTS (SELECT 1 FROM place_areas a WHERE a.id = given.id)
       AND NOT EXISTS (SELECT 1 FROM place_units u WHERE u.id = given.id)
     ORDER BY id`,
    [ids],
  );
  return rows.map((r) => r.id);
}
