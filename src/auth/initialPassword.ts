// The generated first admin password, kept in DATA_DIR/initial-admin-password (mode 0600) from the
// moment it exists until it is changed: a start that fails right after creating the account, or a
// terminal closed too early, must never leave the newcomer locked out. Only the admin account's first
// password is ever kept here; the hash in the database stays the authority on whether it still works.
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { UserQueries } from '../storage/users.ts';
import { verifySecret } from './secrets.ts';

/** The account the first start creates. */
export const initialAdminUsername = 'admin';

export function initialPasswordPath(dataDir: string): string {
  return resolve(dataDir, 'initial-admin-password');
}

/** Writes the password for the owner only; returns the file's absolute path. */
export async function keepInitialPassword(dataDir: string, password: string): Promise<string> {
  const path = initialPasswordPath(dataDir);
  await mkdir(resolve(dataDir), { recursive: true });
  await writeFile(path, `${password}\n`, { mode: 0o600 });
  // The mode above applies only to a new file; one left by an earlier attempt keeps its own.
  await chmod(path, 0o600);
  return path;
}

export async function readInitialPassword(dataDir: string): Promise<string | undefined> {
  try {
    return (await readFile(initialPasswordPath(dataDir), 'utf8')).trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export type InitialPasswordState = 'none' | 'kept' | 'removed';

/**
 * Keeps the file while its password still opens the admin account ('kept'); removes it once that
 * password was changed or the account is gone ('removed'); 'none' when there is no file.
 */
export async function settleInitialPassword(
  dataDir: string,
  users: Pick<UserQueries, 'byUsername'>,
): Promise<InitialPasswordState> {
  const password = await readInitialPassword(dataDir);
  if (password === undefined) return 'none';
  const admin = await users.byUsername(initialAdminUsername);
  if (admin && (await verifySecret(password, admin.passwordHash))) return 'kept';
  await rm(initialPasswordPath(dataDir), { force: true });
  return 'removed';
}
