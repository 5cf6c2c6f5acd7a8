// Typed queries on operator accounts, their lockout included: it lives in the row, so every instance
// and the admin command (another process) see and lift the same one.
import type { DeviceScopeLists } from '../auth/deviceScope.ts';
import { unknownDeviceScope } from './deviceScope.ts';
import type { Pool } from './pool.ts';
import { unknownPlaces } from './scope.ts';

// `installer`: a vendor's account, outside the viewer < operator < admin ladder; it reaches the devices
// its lists name and nothing else (src/auth/deviceScope.ts).
export const roles = ['viewer', 'operator', 'admin', 'installer'] as const;
export type Role = (typeof roles)[number];

export interface UserRow {
  id: number;
  username: string;
  passwordHash: string;
  role: Role;
  disabled: boolean;
  tokenVersion: number;
  /** Refused even with the right password until then; null or past when not locked. */
  lockedUntil: Date | null;
  /** When an admin last lifted a lockout or reset the password. */
  unlockedAt: Date | null;
  /** The areas and units the user reaches; null: every area (src/auth/scope.ts). */
  scope: string[] | null;
  /** An installer's profiles and devices (src/auth/deviceScope.ts); null for every other role. */
  deviceProfiles: string[] | null;
  deviceIds: string[] | null;
}

export interface UserListing {
  id: number;
  username: string;
  role: Role;
  disabled: boolean;
  lockedUntil: Date | null;
  createdAt: Date;
  scope: string[] | null;
  deviceProfiles: string[] | null;
  deviceIds: string[] | null;
  /** The last successful login, as the audit log recorded it; null: never. */
  lastLoginAt: Date | null;
}

export interface LockoutPolicy {
  /** Failures from any address within windowSeconds that lock the account. */
  failures: number;
  windowSeconds: number;
  lockSeconds: number;
}

// An empty list is stored as none, so "no profiles, these devices" has one spelling.
const nullIfEmpty = (ids: string[]) => (ids.length > 0 ? ids : null);

// A new password or re-enabling the account is an admin's decision about it: it lifts a lockout too.
const liftsLockout = '($3::text IS NOT NULL OR $4::boolean IS FALSE)';

export function createUserQueries(pool: Pool) {
  return {
    async byUsername(username: string): Promise<UserRow | undefined> {
      const { rows } = await pool.query<UserRow>(
        `SELECT id::int, username, password_hash AS "passwordHash", role, disabled, token_version AS "tokenVersion",
           locked_until AS "lockedUntil", unlocked_at AS "unlockedAt", scope,
           device_profiles AS "deviceProfiles", device_ids AS "deviceIds"
         FROM users WHERE username = $1`,
        [username],
      );
      return rows[0];
    },
    async list(): Promise<UserListing[]> {
      const { rows } = await pool.query<UserListing>(
        `SELECT id::int, username, role, disabled, created_at AS "createdAt", scope,
           device_profiles AS "deviceProfiles", device_ids AS "deviceIds",
           CASE WHEN locked_until > now() THEN locked_until END AS "lockedUntil",
           (SELECT a.at FROM audit_log a
            WHERE a.actor = users.username AND a.action = 'auth.login' AND a.outcome = 'success'
            ORDER BY a.id DESC LIMIT 1) AS "lastLoginAt"
         FROM users ORDER BY username`,
      );
      return rows;
    },
    /**
     * Changes what is given; a new password, disabling or a new scope also ends the user's sessions
     * (the scope through migration 022's trigger), a new password or re-enabling also lifts a lockout.
     * `scope: null` widens to every area; becoming an admin does too, as admins reach every area.
     * An installer's device lists go with the role: becoming one sets them (and no area scope),
     * leaving it drops them; new lists end the sessions too (migration 027's trigger).
     */
    async update(
      username: string,
      patch: {
        role?: Role;
        passwordHash?: string;
        disabled?: boolean;
        scope?: string[] | null;
        devices?: DeviceScopeLists;
      },
    ): Promise<boolean> {
      const result = await pool.query(
        `UPDATE users SET role = coalesce($2, role), password_hash = coalesce($3, password_hash),
           disabled = coalesce($4, disabled), updated_at = now(),
           scope = CASE WHEN $2 IN ('admin', 'installer') THEN NULL WHEN $5::boolean THEN $6::text[] ELSE scope END,
           device_profiles = CASE WHEN $2 <> 'installer' THEN NULL WHEN $7::boolean THEN $8::text[] ELSE device_profiles END,
           device_ids = CASE WHEN $2 <> 'installer' THEN NULL WHEN $7::boolean THEN $9::text[] ELSE device_ids END,
           token_version = token_version + CASE WHEN $3::text IS NOT NULL OR $4::boolean IS TRUE THEN 1 ELSE 0 END,
           locked_until = CASE WHEN ${liftsLockout} THEN NULL ELSE locked_until END,
           failed_logins = CASE WHEN ${liftsLockout} THEN 0 ELSE failed_logins END,
           failures_since = CASE WHEN ${liftsLockout} THEN NULL ELSE failures_since END,
           unlocked_at = CASE WHEN ${liftsLockout} THEN now() ELSE unlocked_at END
         WHERE username = $1`,
        [
          username,
          patch.role ?? null,
          patch.passwordHash ?? null,
          patch.disabled ?? null,
          patch.scope !== undefined,
          patch.scope ?? null,
          patch.devices !== undefined,
          patch.devices ? nullIfEmpty(patch.devices.profiles) : null,
          patch.devices ? nullIfEmpty(patch.devices.devices) : null,
        ],
      );
      return (result.rowCount ?? 0) > 0;
    },
    /** Of the ids a scope names, those that are no area or unit (refused before they are stored). */
    unknownPlaces: (ids: readonly string[]) => unknownPlaces(pool, ids),
    async endSessions(username: string): Promise<void> {
      await pool.query('UPDATE users SET token_version = token_version + 1 WHERE username = $1', [username]);
    },
    async count(): Promise<number> {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      return rows[0]?.n ?? 0;
    },
    /** Of the profiles and devices an installer's lists name, those the IOC does not know. */
    unknownDevices: (lists: DeviceScopeLists) => unknownDeviceScope(pool, lists),
    /**
     * Inserts unless the username exists; returns whether it was created. Scope null: every area.
     * `devices`: an installer's lists (required for one, refused by the database for other roles).
     */
    async create(
      username: string,
      passwordHash: string,
      role: Role,
      scope: string[] | null = null,
      devices?: DeviceScopeLists,
    ): Promise<boolean> {
      const result = await pool.query(
        `INSERT INTO users (username, password_hash, role, scope, device_profiles, device_ids)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (username) DO NOTHING`,
        [
          username,
          passwordHash,
          role,
          scope,
          devices ? nullIfEmpty(devices.profiles) : null,
          devices ? nullIfEmpty(devices.devices) : null,
        ],
      );
      return (result.rowCount ?? 0) > 0;
    },

    /**
     * Counts a failed login of an existing account (nothing happens for an unknown name, at the same
     * cost); the failure that reaches the policy's count locks it. The row lock makes concurrent
     * failures on several instances count one after another.
     */
    async loginFailed(
      username: string,
      policy: LockoutPolicy,
    ): Promise<{ lockedUntil: Date | null; justLocked: boolean } | undefined> {
      const { rows } = await pool.query<{ lockedUntil: Date | null; justLocked: boolean }>(
        `WITH counted AS (
           SELECT id,
             CASE WHEN failures_since > now() - make_interval(secs => $2) THEN failed_logins + 1 ELSE 1 END AS n,
             CASE WHEN failures_since > now() - make_interval(secs => $2) THEN failures_since ELSE now() END AS since
           FROM users WHERE username = $1 FOR UPDATE
         )
         UPDATE users u SET
           failed_logins = CASE WHEN c.n >= $3 THEN 0 ELSE c.n END,
           failures_since = CASE WHEN c.n >= $3 THEN NULL ELSE c.since END,
           locked_until = CASE WHEN c.n >= $3 THEN now() + make_interval(secs => $4) ELSE u.locked_until END
         FROM counted c WHERE u.id = c.id
         RETURNING u.locked_until AS "lockedUntil", c.n >= $3 AS "justLocked"`,
        [username, policy.windowSeconds, policy.failures, policy.lockSeconds],
      );
      return rows[0];
    },
    /** A successful login forgets the account's earlier failures. */
    async loginSucceeded(username: string): Promise<void> {
      await pool.query(
        'UPDATE users SET failed_logins = 0, failures_since = NULL WHERE username = $1 AND failed_logins > 0',
        [username],
      );
    },
    /** Lifts a lockout and forgets failures; undefined when there is no such user. */
    async unlock(username: string): Promise<{ wasLocked: boolean } | undefined> {
      const { rows } = await pool.query<{ wasLocked: boolean }>(
        `WITH before AS (SELECT id, locked_until FROM users WHERE username = $1 FOR UPDATE)
         UPDATE users u SET locked_until = NULL, failed_logins = 0, failures_since = NULL, unlocked_at = now()
         FROM before b WHERE u.id = b.id
         RETURNING coalesce(b.locked_until > now(), false) AS "wasLocked"`,
        [username],
      );
      return rows[0];
    },
  };
}

export type UserQueries = ReturnType<typeof createUserQueries>;
