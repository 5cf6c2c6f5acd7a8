// Operators' identities: login with username and password (budgeted and hashed one at a time in
// loginGate.ts, throttled, locked out after repeated failures), short-lived JWTs naming the user and
// the session version. Every check reads the account (cached for a few seconds), so a logout, a
// disabled account or a changed role takes effect at once in this process, and within those seconds
// when another process (an instance, the admin command) changed it in the database. The principal
// carries the user's scope (scope.ts), read with the account, so a route's check is a set lookup; a
// new scope ends the user's sessions. The first start's admin account: bootstrap.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.ts';
import type { SharedLimitStore } from '../limits/sharedStore.ts';
import type { Logger } from '../log.ts';
import type { LockoutPolicy, Role, UserQueries, UserRow } from '../storage/users.ts';
import { type DeviceScope, deviceScopeFrom, nowhere } from './deviceScope.ts';
import { settleInitialPassword } from './initialPassword.ts';
import { createLoginGate, LoginBudgetError, type LoginRefusal } from './loginGate.ts';
import { type Scope, scopeFrom } from './scope.ts';
import { hashSecret, passwordCost, verifySecret } from './secrets.ts';
import { createLoginThrottle, type LoginWait } from './throttle.ts';

export interface Principal {
  kind: 'user';
  username: string;
  role: Role;
  /** The areas and units the user reaches (scope.ts); no area for an installer. */
  scope: Scope;
  /** An installer's profiles and devices, the whole of what it reaches (deviceScope.ts). */
  devices?: DeviceScope;
}

export interface Auth {
  login(
    username: string,
    password: string,
    from: string,
  ): Promise<{ token: string; expiresAt: Date; role: Role; scope: Scope }>;
  verifyToken(token: string): Promise<Principal>;
  /**
   * A new token for a session that is still valid (not expired, not ended by a logout, a password or
   * role change, or a disabled account): a wall display stays logged in without anyone typing a
   * password, and loses its session by the same rules as any other.
   */
  renew(token: string): Promise<{ token: string; expiresAt: Date; role: Role; scope: Scope }>;
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

/** What an account reaches: its areas, or for an installer no area and its device lists. */
function reachOf(user: UserRow): { user: UserRow; scope: Scope; devices?: DeviceScope } {
  if (user.role !== 'installer') return { user, scope: scopeFrom(user.scope) };
  return { user, scope: nowhere, devices: deviceScopeFrom(user.deviceProfiles, user.deviceIds) };
}

// Verifying against this when the user does not exist keeps the answer time the same either way,
// so a stranger cannot learn which usernames exist.
let dummyHash: Promise<string> | undefined;

export function createAuth(deps: {
  users: UserQueries;
  jwtSecret: Uint8Array;
  ttlSeconds: number;
  lockout: { failures: number; seconds: number };
  /** What a login may cost before its password is looked at (loginGate.ts). */
  budget: {
    addressPerMinute: number;
    globalPerSecond: number;
    hashQueue: number;
    /** Where the per-address budget is shared with the other instances (REDIS_URL). */
    shared?: SharedLimitStore;
  };
  /** Told of every login refused before its password was checked, and why (metrics). */
  refused?: (reason: LoginRefusal) => void;
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
  const gate = createLoginGate(deps.budget);
  const refused = deps.refused ?? (() => {});
  // A flood is one warning a minute with its count, not a line per attempt.
  let floodRefusals = 0;
  let floodLoggedAt = 0;
  function budgetRefused(error: LoginBudgetError, from: string): never {
    refused(error.reason);
    floodRefusals++;
    if (Date.now() - floodLoggedAt >= 60_000) {
      log.warn(
        { refused: floodRefusals, reason: error.reason, lastFrom: from },
        'logins refused before hashing: over the login budget',
      );
      floodRefusals = 0;
      floodLoggedAt = Date.now();
    }
    throw error;
  }
  // The scope is built once per account read, not per request.
  type Account = { user: UserRow; scope: Scope; devices?: DeviceScope };
  const accounts = new Map<string, { account: Account | undefined; at: number }>();

  async function account(username: string): Promise<Account | undefined> {
    const cached = accounts.get(username);
    if (cached && Date.now() - cached.at < accountCacheMs) return cached.account;
    const user = await users.byUsername(username);
    const read = user && reachOf(user);
    accounts.set(username, { account: read, at: Date.now() });
    return read;
  }

  async function issue(user: UserRow): Promise<{ token: string; expiresAt: Date }> {
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const token = await new SignJWT({ ver: user.tokenVersion })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.username)
      .setIssuer(issuer)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(jwtSecret);
    return { token, expiresAt };
  }

  return {
    async login(username, password, from) {
      // The budgets come before the database and the hash: an attempt over them costs nothing else.
      const trusted = throttle.trusted(username, from);
      try {
        await gate.admit(from, trusted);
      } catch (error) {
        if (error instanceof LoginBudgetError) budgetRefused(error, from);
        throw error;
      }
      // Read fresh, not from the cache: a lockout set or lifted elsewhere counts from this attempt.
      const user = await users.byUsername(username);
      const wait: LoginWait | undefined = throttle.wait(
        username,
        from,
        user
          ? { unlockedAt: user.unlockedAt?.getTime(), lockedUntil: user.lockedUntil?.getTime() }
          : undefined,
      );
      if (wait) {
        refused(wait.reason === 'account' ? 'account_locked' : 'pair_throttled');
        const minutes = Math.ceil(wait.ms / 60_000);
        const details = { retryAfterSeconds: Math.ceil(wait.ms / 1000) };
        if (wait.reason === 'account') {
          throw new AppError(
            'ACCOUNT_LOCKED',
            `this account is locked after repeated failed logins, for the addresses they came from; try again in ${minutes} minutes or ask an admin to reset its password or unlock it (npm run admin -- unlock <user>)`,
            details,
          );
        }
        throw new AppError(
          'RATE_LIMITED',
          `too many failed logins; try again in ${minutes} minutes`,
          details,
        );
      }
      dummyHash ??= gate.hash(() => hashSecret(randomBytes(16).toString('hex'), passwordCost), true);
      const stored = user?.passwordHash ?? (await dummyHash);
      let ok: boolean;
      try {
        ok = await gate.hash(() => verifySecret(password, stored), trusted);
      } catch (error) {
        if (error instanceof LoginBudgetError) budgetRefused(error, from);
        throw error;
      }
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
      return { ...(await issue(user)), role: user.role, scope: reachOf(user).scope };
    },

    async renew(token) {
      const { username } = await this.verifyToken(token);
      // Read the account afresh: a session ended a moment ago is not renewed from the cache.
      accounts.delete(username);
      const principal = await this.verifyToken(token);
      const user = (await account(username))!.user;
      return { ...(await issue(user)), role: principal.role, scope: principal.scope };
    },

    async verifyToken(token) {
      let username: string;
      let version: unknown;
      try {
        // Every token we sign expires; one without `exp` would be good forever.
        const { payload } = await jwtVerify(token, jwtSecret, {
          issuer,
          algorithms: ['HS256'],
          requiredClaims: ['exp'],
        });
        if (typeof payload.sub !== 'string') throw new Error('token without subject');
        username = payload.sub;
        version = payload.ver;
      } catch {
        throw new AppError(
          'UNAUTHENTICATED',
          'the token is invalid or expired; log in again at POST /api/v1/auth/login',
        );
      }
      const found = await account(username);
      const user = found?.user;
      if (!found || !user || user.disabled || user.tokenVersion !== version) {
        throw new AppError(
          'UNAUTHENTICATED',
          'this session has ended; log in again at POST /api/v1/auth/login',
        );
      }
      return {
        kind: 'user',
        username: user.username,
        role: user.role,
        scope: found.scope,
        ...(found.devices ? { devices: found.devices } : {}),
      };
    },

    async logout(username) {
      await users.endSessions(username);
      accounts.delete(username);
    },

    // An admin's work: in the lane (one password hash at a time), never refused.
    hashPassword: (password) => gate.hash(() => hashSecret(password, passwordCost), true),
    forget: (username) => accounts.delete(username),

    async passwordChanged(username) {
      accounts.delete(username);
      if ((await settleInitialPassword(dataDir, users)) === 'removed')
        log.info({ username }, 'the initial admin password was changed; removed its file');
    },
  };
}
