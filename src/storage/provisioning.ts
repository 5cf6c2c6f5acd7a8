// Typed queries on provisioning keys and their claims (migrations/024_provisioning.sql). A claim is
// reserved under the key row's lock (SELECT ... FOR UPDATE), so the checks and the count hold whatever
// number of claims arrive at once; a claim whose registration then fails is given back.
import { inTransaction, type Pool } from './pool.ts';

export interface ProvisioningKeyRow {
  id: number;
  name: string;
  /** The public half (`iocp_<12 hex>`). */
  keyId: string;
  city: string;
  unit: string | null;
  kinds: string[] | null;
  expiresAt: Date;
  maxClaims: number;
  claims: number;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  revokedBy: string | null;
}

export interface NewProvisioningKey {
  name: string;
  keyId: string;
  secretHash: string;
  city: string;
  unit: string | null;
  kinds: string[] | null;
  expiresAt: Date;
  maxClaims: number;
  createdBy: string;
}

/** How a reservation ended: `reserved` holds one of the key's claims for the device. */
export type Reservation =
  | { outcome: 'reserved' }
  | { outcome: 'revoked' | 'expired' | 'exhausted' | 'unknown' }
  | { outcome: 'claimed'; claimedAt: Date };

const columns = `id::int, name, key_id AS "keyId", city, unit, kinds, expires_at AS "expiresAt",
  max_claims AS "maxClaims", claims, created_by AS "createdBy", created_at AS "createdAt",
  revoked_at AS "revokedAt", revoked_by AS "revokedBy"`;

const isUniqueViolation = (error: unknown) => (error as { code?: string }).code === '23505';

export function createProvisioningQueries(pool: Pool) {
  return {
    /** The new key, or undefined when its name is taken. */
    async insert(key: NewProvisioningKey): Promise<ProvisioningKeyRow | undefined> {
      try {
        const { rows } = await pool.query<ProvisioningKeyRow>(
          `INSERT INTO provisioning_keys (name, key_id, secret_hash, city, unit, kinds, expires_at, max_claims, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${columns}`,
          [
            key.name,
            key.keyId,
            key.secretHash,
            key.city,
            key.unit,
            key.kinds,
            key.expiresAt,
            key.maxClaims,
            key.createdBy,
          ],
        );
        return rows[0];
      } catch (error) {
        if (isUniqueViolation(error)) return undefined;
        throw error;
      }
    },

    async list(): Promise<ProvisioningKeyRow[]> {
      const { rows } = await pool.query<ProvisioningKeyRow>(
        `SELECT ${columns} FROM provisioning_keys ORDER BY id`,
      );
      return rows;
    },

    /** The key a claim names, revoked or not, with its secret's hash. */
    async byKeyId(keyId: string): Promise<(ProvisioningKeyRow & { secretHash: string }) | undefined> {
      const { rows } = await pool.query<ProvisioningKeyRow & { secretHash: string }>(
        `SELECT ${columns}, secret_hash AS "secretHash" FROM provisioning_keys WHERE key_id = $1`,
        [keyId],
      );
      return rows[0];
    },

    /** Revokes once: a second call keeps the first time and name. */
    async revoke(id: number, by: string): Promise<ProvisioningKeyRow | undefined> {
      const { rows } = await pool.query<ProvisioningKeyRow>(
        `UPDATE provisioning_keys SET revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $2)
         WHERE id = $1 RETURNING ${columns}`,
        [id, by],
      );
      return rows[0];
    },

    /**
     * Takes one of the key's claims for `deviceId`, checking under the key row's lock that it is not
     * revoked, not expired at `now`, not already used for this device, and not used up.
     */
    reserve(id: number, deviceId: string, ip: string, now: Date): Promise<Reservation> {
      return inTransaction(pool, async (client) => {
        const { rows } = await client.query<{
          revoked: boolean;
          expired: boolean;
          full: boolean;
        }>(
          `SELECT revoked_at IS NOT NULL AS revoked, expires_at <= $2 AS expired, claims >= max_claims AS full
           FROM provisioning_keys WHERE id = $1 FOR UPDATE`,
          [id, now],
        );
        const key = rows[0];
        if (!key) return { outcome: 'unknown' };
        if (key.revoked) return { outcome: 'revoked' };
        if (key.expired) return { outcome: 'expired' };
        const earlier = await client.query<{ claimedAt: Date }>(
          `SELECT claimed_at AS "claimedAt" FROM provisioning_claims WHERE key_id = $1 AND device_id = $2`,
          [id, deviceId],
        );
        if (earlier.rows[0]) return { outcome: 'claimed', claimedAt: earlier.rows[0].claimedAt };
        if (key.full) return { outcome: 'exhausted' };
        await client.query(
          'INSERT INTO provisioning_claims (key_id, device_id, claimed_at, ip) VALUES ($1, $2, $3, $4)',
          [id, deviceId, now, ip],
        );
        await client.query('UPDATE provisioning_keys SET claims = claims + 1 WHERE id = $1', [id]);
        return { outcome: 'reserved' };
      });
    },

    /** Gives a reserved claim back: the device it was for could not be registered. */
    release(id: number, deviceId: string): Promise<void> {
      return inTransaction(pool, async (client) => {
        const { rowCount } = await client.query(
          'DELETE FROM provisioning_claims WHERE key_id = $1 AND device_id = $2',
          [id, deviceId],
        );
        if (rowCount) {
          await client.query('UPDATE provisioning_keys SET claims = claims - 1 WHERE id = $1', [id]);
        }
      });
    },

    /** The devices claimed with a key, newest first. */
    async claims(id: number): Promise<Array<{ deviceId: string; claimedAt: Date; ip: string }>> {
      const { rows } = await pool.query<{ deviceId: string; claimedAt: Date; ip: string }>(
        `SELECT device_id AS "deviceId", claimed_at AS "claimedAt", ip FROM provisioning_claims
         WHERE key_id = $1 ORDER BY claimed_at DESC, device_id`,
        [id],
      );
      return rows;
    },
  };
}

export type ProvisioningQueries = ReturnType<typeof createProvisioningQueries>;
