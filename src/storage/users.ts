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
}

export function createUserQueries(pool: Pool) {
  return {
    async byUsername(username: string): Promise<UserRow | undefined> {
      const { rows } = await pool.query<UserRow>(
        `SELECT id::int, username, password_hash AS "passwordHash", role, disabled FROM users WHERE username = $1`,
        [username],
      );
      return rows[0];
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
