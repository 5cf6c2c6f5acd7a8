// Typed queries on the province's API keys. Only a key's scrypt hash is stored, found by its prefix.
import type { Pool } from './pool.ts';
import { unknownPlaces } from './scope.ts';

export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
  /** The areas and units the key reaches; null: every area (src/auth/scope.ts). */
  scope: string[] | null;
}

const columns = `id::int, name, prefix, created_by AS "createdBy", created_at AS "createdAt",
  last_used_at AS "lastUsedAt", revoked_at AS "revokedAt", revoked_by AS "revokedBy", scope`;

export function createApiKeyQueries(pool: Pool) {
  return {
    async insert(key: {
      name: string;
      prefix: string;
      hash: string;
      createdBy: string;
      scope: string[] | null;
    }): Promise<ApiKeyRow> {
      const { rows } = await pool.query<ApiKeyRow>(
        `INSERT INTO api_keys (name, prefix, key_hash, created_by, scope) VALUES ($1, $2, $3, $4, $5) RETURNING ${columns}`,
        [key.name, key.prefix, key.hash, key.createdBy, key.scope],
      );
      return rows[0]!;
    },
    async list(): Promise<ApiKeyRow[]> {
      const { rows } = await pool.query<ApiKeyRow>(`SELECT ${columns} FROM api_keys ORDER BY id`);
      return rows;
    },
    /** The active key with this prefix and its hash. */
    async activeByPrefix(prefix: string): Promise<(ApiKeyRow & { hash: string }) | undefined> {
      const { rows } = await pool.query<ApiKeyRow & { hash: string }>(
        `SELECT ${columns}, key_hash AS hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL`,
        [prefix],
      );
      return rows[0];
    },
    async revoke(id: number, by: string): Promise<ApiKeyRow | undefined> {
      const { rows } = await pool.query<ApiKeyRow>(
        `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2)
         WHERE id = $1 RETURNING ${columns}`,
        [id, by],
      );
      return rows[0];
    },
    /** Of the ids a scope names, those that are no area or unit (refused before they are stored). */
    unknownPlaces: (ids: readonly string[]) => unknownPlaces(pool, ids),
    async touch(ids: number[]): Promise<void> {
      if (ids.length === 0) return;
      await pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1)', [ids]);
    },
  };
}

export type ApiKeyQueries = ReturnType<typeof createApiKeyQueries>;
