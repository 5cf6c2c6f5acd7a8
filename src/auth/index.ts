// Operators' identities: login with username and password (scrypt-hashed, throttled, locked out after
// repeated failures), short-lived JWTs naming the user and the session version. Every check reads the
// account (cached for a few seconds), so a logout, a disabled account or a changed role takes effect
// at once in this process, and within those seconds when another process (an instance, the admin
// command) changed it in the database. The first start's admin account: bootstrap.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { LockoutPolicy, Role, UserQueries, UserRow } from '../storage/users.ts';
import { settleInitialPassword } from './initialPassword.ts';
import { hashSecret, passwordCost, verifySecret } from './secrets.ts';
import { createLoginThrottle, type LoginWait } from './throttle.ts';

export interface Principal {
  kind: 'user';
  username: string;
  role: Role;
}

export interface Auth {
  login(
    username: string,
    password: string,
    from: string,
  ): Promise<{ token: string; expiresAt: Date; role: Role }>;
  verifyToken(token: string): Promise<Principal>;
  /** Ends every session of the user (all their tokens stop working). */
  logout(username: string): Promise<void>;
  hashPassword(password: string): Promise<string>;
  /** Drops the cached account after an admin changed it. */
  forget(username: string): void;
  /**
   * After the user's password was changed (the row already holds the new one): drops the cached
   * account and, when it was the first admin password, its file in DATA_DIR.
   */
  passwordChanged(username: string): Promise<void>;
}

const issuer = 'city-ioc';
const accountCacheMs = 5_000;
const failureWindowMs = 15 * 60_000;

/** JWT_SECRET, or in development a random one kept in DATA_DIR so tokens survive a restart. */
export async function resolveJwtSecret(configured: string | undefined, dataDir: string): Promise<Uint8Array> {
  if (configured) return new TextEncoder().encode(configured);
  const file = join(dataDir, 'jwt-secret');
  try {
    return new TextEncoder().encode((await readFile(file, 'utf8')).trim());
  } catch {
    const secret = randomBytes(48).toString('base64url');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${secret}\n`, { mode: 0o600 });
    return new TextEncoder().encode(secret);
  }
}

// Verifying against this when the user does not exist keeps the answer time the same either way,
// so a stranger cannot learn which usernames exist.
let dummyHash: Promise<string> | undefined;

export function createAuth(deps: {
  users: UserQueries;
  jwtSecret: Uint8Array;
  ttlSeconds: number;
  lockout: { failures: number; seconds: number };
  /** Where the first admin password may be kept (initialPassword.ts). */
  dataDir: string;
  log: Logger;
}): Auth {
  const { users, jwtSecret, ttlSeconds, log, dataDir } = deps;
  const throttle = createLoginThrottle({
    maxFailures: 10,
    windowMs: failureWindowMs,
    lockoutFailures: deps.lockout.failures,
    lockoutMs: deps.lockout.seconds * 1000,
  });
  const lockout: LockoutPolicy = {
    failures: deps.lockout.failures,
    windowSeconds: failureWindowMs / 1000,
    lockSeconds: deps.lockout.seconds,
  };
  const accounts = new Map<string, { user: UserRow | undefined; at: number }>();

  async function account(username: string): Promise<UserRow | undefined> {
    const cached = accounts.get(username);
    if (cached && Date.now() - cached.at < accountCacheMs) return cached.user;
    const user = await users.byUsername(username);
    accounts.set(username, { user, at: Date.now() });
    return user;
  }

  return {
    async login(username, password, from) {
      // Read fresh, not from the cache: a lockout set or lifted elsewhere counts from this attempt.
      const user = await users.byUsername(username);
      const wait: LoginWait | undefined =
        user?.lockedUntil && user.lockedUntil.getTime() > Date.now()
          ? { ms: user.lockedUntil.getTime() - Date.now(), reason: 'account' }
          : throttle.wait(username, from, user ? { unlockedAt: user.unlockedAt?.getTime() } : undefined);
      if (wait) {
        const minutes = Math.ceil(wait.ms / 60_000);
        const details = { retryAfterSeconds: Math.ceil(wait.ms / 1000) };
        if (wait.reason === 'account') {
          throw new AppError(
            'ACCOUNT_LOCKED',
            `this account is locked after repeated failed logins; try again in ${minutes} minutes or ask an admin to reset its password or unlock it (npm run admin -- unlock <user>)`,
            details,
          );
        }
        throw new AppError(
          'RATE_LIMITED',
          `too many failed logins; try again in ${minutes} minutes`,
          details,
        );
      }
      dummyHash ??= hashSecret(randomBytes(16).toString('hex'), passwordCost);
      const ok = await verifySecret(password, user?.passwordHash ?? (await dummyHash));
      if (!user || !ok || user.disabled) {
        // Counted for an unknown name too (no row changes, same cost), so timing tells nothing.
        const counted = await users.loginFailed(username, lockout);
        const nameLocked = throttle.failed(username, from, user !== undefined);
        if (counted?.justLocked || nameLocked)
          log.warn({ username, from }, 'account locked after repeated failed logins');
        else log.warn({ username, from }, 'failed login');
        throw new AppError('UNAUTHENTICATED', 'wrong username or password');
      }
      throttle.succeeded(username, from);
      await users.loginSucceeded(username);
      const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
      const token = await new SignJWT({ ver: user.tokenVersion })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.username)
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(jwtSecret);
      return { token, expiresAt, role: user.role };
    },

    async verifyToken(token) {
      let username: string;
      let version: unknown;
      try {
        const { payload } = await jwtVerify(token, jwtSecret, { issuer, algorithms: ['HS256'] });
        if (typeof payload.sub !== 'string') throw new Error('token without subject');
        username = payload.sub;
        version = payload.ver;
      } catch {
        throw new AppError(
          'UNAUTHENTICATED',
          'the token is invalid or expired; log in again at POST /api/v1/auth/login',
        );
      }
      const user = await account(username);
      if (!user || user.disabled || user.tokenVersion !== version) {
        throw new AppError(
          'UNAUTHENTICATED',
          'this session has ended; log in again at POST /api/v1/auth/login',
        );
      }
      return { kind: 'user', username: user.username, role: user.role };
    },

    async logout(username) {
      await users.endSessions(username);
      accounts.delete(username);
    },

    hashPassword: (password) => hashSecret(password, passwordCost),
    forget: (username) => accounts.delete(username),

    async passwordChanged(username) {
      accounts.delete(username);
      if ((await settleInitialPassword(dataDir, users)) === 'removed')
        log.info({ username }, 'the initial admin password was changed; removed its file');
    },
  };
}
