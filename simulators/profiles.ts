// The device profiles of a running IOC, for devices whose kind the shipped files do not know (a kind an
// admin added through the API): read from GET /api/v1/profiles, the source ingest validates against,
// so the simulated readings stay within the ranges the IOC accepts.
import { type Catalog, type KindSource, loadCatalog } from '../src/catalog/index.ts';
import type { KindDefinition } from '../src/catalog/schema.ts';
import { compileProfile } from '../src/profiles/index.ts';
import type { Profile } from '../src/profiles/schema.ts';

export async function fetchProfiles(options: {
  url: string;
  user: string;
  password: string;
}): Promise<Map<string, KindDefinition>> {
  const login = await fetch(`${options.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: options.user, password: options.password }),
  });
  if (!login.ok) throw new Error(`login refused (${login.status}): ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${options.url}/api/v1/profiles`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (!res.ok) throw new Error(`GET /api/v1/profiles answered ${res.status}: ${await res.text()}`);
  const { items } = (await res.json()) as { items: Profile[] };
  return new Map(items.map((p) => [p.id, compileProfile(p)]));
}

/** The catalog with its kinds from these profiles (its fleets and wards from the files). */
export function catalogWithProfiles(kinds: ReadonlyMap<string, KindDefinition>): Catalog {
  const source: KindSource = { kinds: () => kinds };
  return loadCatalog(undefined, undefined, source);
}
