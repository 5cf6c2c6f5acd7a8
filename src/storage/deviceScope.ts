// The installer rule of src/auth/deviceScope.ts in SQL: a device row is in when its id or its profile
// (kind) is listed; a dead letter is in when the device id it names is listed (registered or not: a
// vendor's device refused as unknown, or still sending after it was removed, is its own mistake to
// see) or names a registered device of a listed profile. Also: which ids name nothing, checked
// before an account's lists are stored.
import type { DeviceScope, DeviceScopeLists } from '../auth/deviceScope.ts';
import type { Pool } from './pool.ts';

/** A condition on a devices row (`id`, `kind`) with the lists pushed onto `params`. */
export function deviceScopeCondition(scope: DeviceScope, params: unknown[], table = ''): string {
  params.push([...scope.devices], [...scope.profiles]);
  const ids = `$${params.length - 1}::text[]`;
  const profiles = `$${params.length}::text[]`;
  return `(${table}id = ANY(${ids}) OR ${table}kind = ANY(${profiles}))`;
}

/** The lists as two positional parameters for a query with a fixed list; null: no installer. */
export function deviceScopeParameters(scope: DeviceScope | undefined): [string[] | null, string[] | null] {
  return scope ? [[...scope.devices], [...scope.profiles]] : [null, null];
}

/**
 * For dead letters (column `device_id`): true for every row when `ids` is null (not an installer),
 * else the rule above.
 */
export function deadLetterDeviceClause(ids: string, profiles: string): string {
  return `(${ids}::text[] IS NULL OR device_id = ANY(${ids}::text[])
    OR EXISTS (SELECT 1 FROM devices d WHERE d.id = device_id AND d.kind = ANY(${profiles}::text[])))`;
}

/** The profile and device ids that name nothing the IOC knows, each sorted. */
export async function unknownDeviceScope(pool: Pool, lists: DeviceScopeLists): Promise<DeviceScopeLists> {
  const { rows } = await pool.query<{ profiles: string[]; devices: string[] }>(
    `SELECT
       ARRAY(SELECT p FROM unnest($1::text[]) AS p
             WHERE NOT EXISTS (SELECT 1 FROM device_profiles dp WHERE dp.id = p) ORDER BY p) AS profiles,
       ARRAY(SELECT d FROM unnest($2::text[]) AS d
             WHERE NOT EXISTS (SELECT 1 FROM devices dv WHERE dv.id = d) ORDER BY d) AS devices`,
    [lists.profiles, lists.devices],
  );
  return rows[0] ?? { profiles: [], devices: [] };
}
