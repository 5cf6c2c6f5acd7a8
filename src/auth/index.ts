// Operators' identities: login with username and password (scrypt-hashed), short-lived JWTs carrying
// the role. The first start creates `admin` with ADMIN_PASSWORD, or a generated password printed once.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { AppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Role, UserQueries } from '../storage/users.ts';
import { hashSecret, passwordCost, verifySecret } from './secrets.ts';

export interface Principal {
  kind: 'user';
  username: string;
  role: Role;
}

export interface Auth {
  login(username: string, password: string): Promise<{ token: string; expiresAt: Date; role: Role }>;
  verifyToken(token: string): Promise<Principal>;
  /** Creates the admin account on first start; returns the generated password when one was made. */
  bootstrapAdmin(password: string | undefined): Promise<string | undefined>;
}

const issuer = 'city-ioc';

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
  log: Logger;
}): Auth {
  const { users, jwtSecret, ttlSeconds, log } = deps;
  return {
    async login(username, password) {
      const user = await users.byUsername(username);
      dummyHash ??= hashSecret(randomBytes(16).toString('hex'), passwordCost);
      const ok = await verifySecret(password, user?.passwordHash ?? (await dummyHash));
      if (!user || !ok || user.disabled) {
        throw new AppError('UNAUTHENTICATED', 'wrong username or password');
      }
      const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
      const token = await new SignJWT({ role: user.role })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user.username)
        .setIssuer(issuer)
        .setIssuedAt()
        .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
        .sign(jwtSecret);
      return { token, expiresAt, role: user.role };
    },

    async verifyToken(token) {
      try {
        const { payload } = await jwtVerify(token, jwtSecret, { issuer, algorithms: ['HS256'] });
        const role = payload.role;
        if (
          typeof payload.sub !== 'string' ||
          (role !== 'viewer' && role !== 'operator' && role !== 'admin')
        ) {
          throw new Error('token without subject or role');
        }
        return { kind: 'user', username: payload.sub, role };
      } catch {
        throw new AppError(
          'UNAUTHENTICATED',
          'the token is invalid or expired; log in again at POST /api/v1/auth/login',
        );
      }
    },

    async bootstrapAdmin(password) {
      if ((await users.count()) > 0) return undefined;
      const chosen = password ?? randomBytes(12).toString('base64url');
      const created = await users.create('admin', await hashSecret(chosen, passwordCost), 'admin');
      if (!created) return undefined;
      log.info({ username: 'admin' }, 'created the first admin account');
      return password ? undefined : chosen;
    },
  };
}
