// Typed queries on operator accounts.
import type { Pool } from './pool.ts';

export const roles = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface UserRow {
  id: number;
  username: string;
  passwordHash: string;
  role: Role;
  disabled: boolean;
  tokenVersion: number;
}

export function createUserQueries(pool: Pool) {
  return {
    async byUsername(username: string): Promise<UserRow | undefined> {
      const { rows } = await pool.query<UserRow>(
        `SELECT id::int, username, password_hash AS "passwordHash", role, disabled, token_version AS "tokenVersion"
         FROM users WHERE username = $1`,
        [username],
      );
      return rows[0];
    },
    async list(): Promise<Array<Omit<UserRow, 'passwordHash' | 'tokenVersion'> & { createdAt: Date }>> {
      const { rows } = await pool.query(
        'SELECT id::int, username, role, disabled, created_at AS "createdAt" FROM users ORDER BY username',
      );
      return rows;
    },
    /** Changes what is given; a new password or disabling also ends the user's sessions. */
    async update(
      username: string,
      patch: { role?: Role; passwordHash?: string; disabled?: boolean },
    ): Promise<boolean> {
      const result = await pool.query(
        `UPDATE users SET role = coalesce($2, role), password_hash = coalesce($3, password_hash),
           disabled = coalesce($4, disabled), updated_at = now(),
           token_version = token_version + CASE WHEN $3::text IS NOT NULL OR $4::boolean IS TRUE THEN 1 ELSE 0 END
         WHERE username = $1`,
        [username, patch.role ?? null, patch.passwordHash ?? null, patch.disabled ?? null],
      );
      return (result.rowCount ?? 0) > 0;
    },
    async endSessions(username: string): Promise<void> {
      await pool.query('UPDATE users SET token_version = token_version + 1 WHERE username = $1', [username]);
    },
    async count(): Promise<number> {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM users');
      return rows[0]?.n ?? 0;
    },
    /** Inserts unless the username exists; returns whether it was created. */
    async create(username: string, passwordHash: string, role: Role): Promise<boolean> {
      const result = await pool.query(
        'INSERT INTO users (username, password_hash, role) VALUES ($1, $2, $3) ON CONFLICT (username) DO NOTHING',
        [username, passwordHash, role],
      );
      return (result.rowCount ?? 0) > 0;
    },
  };
}

export type UserQueries = ReturnType<typeof createUserQueries>;
