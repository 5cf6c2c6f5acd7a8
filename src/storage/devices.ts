// Typed queries on the device registry tables.
import type { DeviceScope } from '../auth/deviceScope.ts';
import type { Scope } from '../auth/scope.ts';
import type { CityId, KindName } from '../catalog/schema.ts';
import { deviceScopeCondition } from './deviceScope.ts';
import type { Pool } from './pool.ts';
import { scopeCondition } from './scope.ts';

export interface DeviceRow {
  id: string;
  kind: KindName;
  city: CityId;
  ward: string;
  lat: number;
  lon: number;
  pole: string | null;
  zone: 'special' | 'normal' | null;
  name: string;
  secretHash: string;
  createdAt: Date;
  updatedAt: Date;
  online: boolean | null;
  statusAt: Date | null;
  status: Record<string, unknown> | null;
  lastSeen: Date | null;
  /** When an admin disabled it: the broker refuses it until it is enabled again. Null: enabled. */
  disabledAt: Date | null;
}

export type DeviceFields = Pick<
  DeviceRow,
  'id' | 'kind' | 'city' | 'ward' | 'lat' | 'lon' | 'pole' | 'zone' | 'name'
>;

export interface DeviceFilter {
  city?: string;
  ward?: string;
  kind?: string;
  /** `online`, `offline`, or `unknown` (never reported a status). */
  status?: 'online' | 'offline' | 'unknown';
  /** true: only disabled devices; false: only enabled ones; unset: both. */
  disabled?: boolean;
  /** What the caller reaches (src/auth/scope.ts); unset: every area. */
  scope?: Scope;
  /** An installer's device lists (src/auth/deviceScope.ts); unset: not narrowed by device. */
  devices?: DeviceScope;
  /** A piece of the id or the name, any case. */
  search?: string;
  /** The order, `-` first for descending; the id breaks ties. Default: id. */
  sort?: DeviceSort;
  /** Rows after this one in that order (keyset paging); `offset` is then not used. */
  after?: DeviceCursor;
  limit: number;
  offset: number;
}

export const deviceSorts = ['id', '-id', 'name', '-name', 'lastSeen', '-lastSeen'] as const;
export type DeviceSort = (typeof deviceSorts)[number];

/** Where a page ended: the last row's sort key and id. */
export interface DeviceCursor {
  key: string | null;
  id: string;
}

// A device never seen sorts as the oldest, so the key is never null and a row comparison works.
const sortKeys: Record<string, { sql: string; of: (row: DeviceRow) => string }> = {
  id: { sql: 'id', of: (row) => row.id },
  name: { sql: 'name', of: (row) => row.name },
  lastSeen: {
    sql: "coalesce(last_seen, '-infinity'::timestamptz)",
    of: (row) => row.lastSeen?.toISOString() ?? '-infinity',
  },
};

/** The cursor continuing after `row` in `sort` order. */
export function deviceCursor(row: DeviceRow, sort: DeviceSort = 'id'): DeviceCursor {
  return { key: sortKeys[sort.replace('-', '')]!.of(row), id: row.id };
}

/** `%piece%` for ILIKE, with the pattern characters a person typed taken literally. */
const containing = (piece: string) => `%${piece.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const columns = `id, kind, city, ward, lat, lon, pole, zone, name, secret_hash AS "secretHash",
  created_at AS "createdAt", updated_at AS "updatedAt", online, status_at AS "statusAt", status,
  last_seen AS "lastSeen", disabled_at AS "disabledAt"`;

export function createDeviceQueries(pool: Pool) {
  return {
    async all(): Promise<DeviceRow[]> {
      const { rows } = await pool.query<DeviceRow>(`SELECT ${columns} FROM devices`);
      return rows;
    },

    async get(id: string): Promise<DeviceRow | undefined> {
      const { rows } = await pool.query<DeviceRow>(`SELECT ${columns} FROM devices WHERE id = $1`, [id]);
      return rows[0];
    },

    async getMany(ids: string[]): Promise<DeviceRow[]> {
      const { rows } = await pool.query<DeviceRow>(`SELECT ${columns} FROM devices WHERE id = ANY($1)`, [
        ids,
      ]);
      return rows;
    },

    async list(filter: DeviceFilter): Promise<{ rows: DeviceRow[]; total: number }> {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replace('?', `$${params.length}`));
      };
      if (filter.city) add('city = ?', filter.city);
      if (filter.ward) add('ward = ?', filter.ward);
      if (filter.kind) add('kind = ?', filter.kind);
      if (filter.status === 'online') where.push('online IS TRUE');
      if (filter.status === 'offline') where.push('online IS FALSE');
      if (filter.status === 'unknown') where.push('online IS NULL');
      if (filter.disabled !== undefined)
        where.push(filter.disabled ? 'disabled_at IS NOT NULL' : 'disabled_at IS NULL');
      const inScope = filter.scope && scopeCondition(filter.scope, params);
      if (inScope) where.push(inScope);
      if (filter.devices) where.push(deviceScopeCondition(filter.devices, params));
      if (filter.search) {
        params.push(containing(filter.search));
        where.push(`(id ILIKE $${params.length} OR name ILIKE $${params.length})`);
      }
      const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
      const count = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM devices ${clause}`, params);
      const sort = filter.sort ?? 'id';
      const direction = sort.startsWith('-') ? 'DESC' : 'ASC';
      const key = sortKeys[sort.replace('-', '')]!.sql;
      const page = [...params];
      const conditions = [...where];
      if (filter.after) {
        // The key as its column's type: a text id or name, or a time for lastSeen.
        const cast = sort.endsWith('lastSeen') ? '::timestamptz' : '::text';
        page.push(filter.after.key, filter.after.id);
        conditions.push(
          `(${key}, id) ${direction === 'ASC' ? '>' : '<'} ($${page.length - 1}${cast}, $${page.length}::text)`,
        );
      }
      const pageWhere = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
      page.push(filter.limit, filter.after ? 0 : filter.offset);
      const { rows } = await pool.query<DeviceRow>(
        `SELECT ${columns} FROM devices ${pageWhere} ORDER BY ${key} ${direction}, id ${direction}
         LIMIT $${page.length - 1} OFFSET $${page.length}`,
        page,
      );
      return { rows, total: Number(count.rows[0]?.n ?? 0) };
    },

    /** Inserts many devices in one statement; existing ids are left as they are. Returns the ids inserted. */
    async insertMany(devices: Array<DeviceFields & { secretHash: string }>): Promise<string[]> {
      if (devices.length === 0) return [];
      const { rows } = await pool.query<{ id: string }>(
        `INSERT INTO devices (id, kind, city, ward, lat, lon, pole, zone, name, secret_hash)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[],
                              $7::text[], $8::text[], $9::text[], $10::text[])
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          devices.map((d) => d.id),
          devices.map((d) => d.kind),
          devices.map((d) => d.city),
          devices.map((d) => d.ward),
          devices.map((d) => d.lat),
          devices.map((d) => d.lon),
          devices.map((d) => d.pole),
          devices.map((d) => d.zone),
          devices.map((d) => d.name),
          devices.map((d) => d.secretHash),
        ],
      );
      return rows.map((r) => r.id);
    },

    async update(
      id: string,
      patch: Partial<Omit<DeviceFields, 'id' | 'kind'>>,
    ): Promise<DeviceRow | undefined> {
      const sets: string[] = [];
      const params: unknown[] = [id];
      for (const [key, value] of Object.entries(patch)) {
        if (value === undefined) continue;
        params.push(value);
        sets.push(`${key} = $${params.length}`);
      }
      if (sets.length === 0) return this.get(id);
      const { rows } = await pool.query<DeviceRow>(
        `UPDATE devices SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
        params,
      );
      return rows[0];
    },

    async remove(id: string): Promise<boolean> {
      const result = await pool.query('DELETE FROM devices WHERE id = $1', [id]);
      await pool.query('DELETE FROM device_latest WHERE device_id = $1', [id]);
      return (result.rowCount ?? 0) > 0;
    },

    async setSecretHash(id: string, secretHash: string): Promise<boolean> {
      const result = await pool.query(
        'UPDATE devices SET secret_hash = $2, credentials_rotated_at = now(), updated_at = now() WHERE id = $1',
        [id, secretHash],
      );
      return (result.rowCount ?? 0) > 0;
    },

    /** The device's last accepted messages as stored (their metrics), newest first. */
    async recentMessages(
      id: string,
      limit: number,
    ): Promise<Array<{ time: Date; metrics: Record<string, number> }>> {
      const { rows } = await pool.query<{ time: Date; metrics: Record<string, number> }>(
        'SELECT time, metrics FROM telemetry_messages WHERE device_id = $1 ORDER BY time DESC LIMIT $2',
        [id, limit],
      );
      return rows;
    },

    /** Disables (refused by the broker from now on) or enables the device; undefined when it is unknown. */
    async setDisabled(id: string, disabled: boolean): Promise<DeviceRow | undefined> {
      const { rows } = await pool.query<DeviceRow>(
        `UPDATE devices SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END, updated_at = now()
         WHERE id = $1 RETURNING ${columns}`,
        [id, disabled],
      );
      return rows[0];
    },

    async latest(id: string): Promise<Array<{ metric: string; time: Date; value: number }>> {
      const { rows } = await pool.query<{ metric: string; time: Date; value: number }>(
        'SELECT metric, time, value FROM device_latest WHERE device_id = $1 ORDER BY metric',
        [id],
      );
      return rows;
    },
  };
}

export type DeviceQueries = ReturnType<typeof createDeviceQueries>;
