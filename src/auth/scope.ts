// Which places a user or a province API key reaches: every area, or a set of area and unit ids (one
// namespace: docs/places.md). A device, its readings and its alerts are in scope when their area
// (`city`) or their unit (`ward`) is in the set; what belongs to no area (the IOC's own alerts) is in
// the global scope only. This file is the one rule; list queries apply it in SQL (src/storage/scope.ts).

/** Every area (admins always, and any account not narrowed), or the ids named. */
export type Scope = { readonly all: true } | { readonly all: false; readonly ids: ReadonlySet<string> };

export const everywhere: Scope = { all: true };

/** Most ids one scope may name: a province's units, with room to spare. */
export const maxScopeIds = 200;

/** A scope as stored and as the API shows it: null for every area, else the ids, sorted. */
export function scopeFrom(ids: readonly string[] | null | undefined): Scope {
  if (!ids) return everywhere;
  return { all: false, ids: new Set(ids) };
}

export function scopeIds(scope: Scope): string[] | null {
  return scope.all ? null : [...scope.ids].sort();
}

/** The place a device stands in, or an alert or reading was raised in. */
export interface ScopedPlace {
  city: string;
  /** The unit; null or empty for something about the whole area (a city-wide indicator). */
  ward: string | null;
}

export function inScope(scope: Scope, place: ScopedPlace): boolean {
  if (scope.all) return true;
  return scope.ids.has(place.city) || (place.ward !== null && place.ward !== '' && scope.ids.has(place.ward));
}

/** The API's spelling: `"all"`, or the ids. */
export type ScopeWire = 'all' | string[];

export function scopeWire(scope: Scope): ScopeWire {
  return scopeIds(scope) ?? 'all';
}

/** Equal scopes: a socket's scope compared with its account's after a change. */
export function sameScope(a: Scope, b: Scope): boolean {
  if (a.all || b.all) return a.all === b.all;
  if (a.ids.size !== b.ids.size) return false;
  for (const id of a.ids) if (!b.ids.has(id)) return false;
  return true;
}
