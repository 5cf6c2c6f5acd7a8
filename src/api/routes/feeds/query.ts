// The query parameters the feed routes share: range bounds in local time, the output format, the
// cursor, indicator lists, the errors every feed may answer, the check that a ward is the city's, and
// what a scoped key or user may ask about.
import { z } from 'zod';
import { inScope, type Scope, scopeIds } from '../../../auth/scope.ts';
import type { Catalog } from '../../../catalog/index.ts';
import { AppError } from '../../../errors.ts';
import { parseBound } from '../../../feeds/periods.ts';
import { ErrorBody } from '../../schemas.ts';

export const Bound = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const date = parseBound(text);
    if (!date) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a local date (2026-11-29), a month (2026-11) or an ISO 8601 time with offset',
      });
      return z.NEVER;
    }
    return date;
  });
export const Format = z.enum(['json', 'csv']).default('json');
export const Cursor = z
  .string()
  .max(16_000)
  .describe('the `cursor` of the previous read, to continue or get what changed');
export const IndicatorList = z
  .string()
  .max(1_000)
  .transform((s) => s.split(',').filter(Boolean))
  .describe('comma-separated indicator ids');

/** What a feed route refuses with: a bad query, a missing or revoked key, a key over its allowance. */
export const feedErrors = { 400: ErrorBody, 401: ErrorBody, 429: ErrorBody };
/** Open data: a bad query, open data off (404), every database read busy (429). */
export const openDataErrors = { 400: ErrorBody, 404: ErrorBody, 429: ErrorBody };

/**
 * Refuses an unknown area, and a ward the area does not have (`*`, every ward, and none are fine; a
 * former unit is fine, as the unit it went into), naming the known ones.
 */
export function wardCheck(catalog: Catalog) {
  return (city: string, ward: string | undefined) => {
    if (!catalog.hasCity(city)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `không có địa bàn ${city} / city: there is no area ${city}; see /api/v1/places/areas`,
      );
    }
    if (ward && ward !== '*' && !catalog.hasWard(city, ward)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${city} has no ward ${ward}; known: ${catalog.wardIds(city).join(', ')}`,
      );
    }
  };
}
export type WardCheck = ReturnType<typeof wardCheck>;

/** The ids a feed read passes down for a scoped caller; undefined (every area) otherwise. */
export function feedScope(scope: Scope): string[] | undefined {
  return scopeIds(scope) ?? undefined;
}

/**
 * Refuses a report about a place the caller's scope does not reach at all: the area's totals need the
 * area, a ward needs the ward or its area, `*` needs at least one of the area's wards (and the answer
 * keeps only those). Said plainly, so a province integrator asks for the right place instead of
 * reading empty pages.
 */
export function reachCheck(catalog: Catalog) {
  return (scope: Scope, city: string, ward: string | undefined) => {
    if (scope.all || inScope(scope, { city, ward: null })) return;
    const reached =
      ward === undefined
        ? false
        : ward === '*'
          ? catalog.wardIds(city).some((w) => inScope(scope, { city, ward: w }))
          : inScope(scope, { city, ward: catalog.currentWard(city, ward) });
    if (!reached) {
      throw new AppError(
        'VALIDATION_FAILED',
        `ngoài phạm vi được cấp / outside what this key or account reaches: ${ward && ward !== '*' ? `ward ${ward}` : `the whole of ${city}`}; it reaches ${scopeIds(scope)!.join(', ')}`,
      );
    }
  };
}
