// API keys of machine clients (the provincial IOC): `iocf_<prefix>_<secret>`, shown once at creation,
// stored as a scrypt hash found by the public prefix. A verified key is cached briefly so a job
// polling every few seconds does not pay scrypt each time; revoking drops it from the cache at once
// (other instances notice within the cache time). A key reaches every area or the areas and units it
// was created for (src/auth/scope.ts), like a user.
import { createHash, randomBytes } from 'node:crypto';
import { type Scope, scopeFrom } from '../auth/scope.ts';
import { generatedSecretCost, generateSecret, hashSecret, verifySecret } from '../auth/secrets.ts';
import { AppError } from '../errors.ts';
import type { ApiKeyQueries, ApiKeyRow } from '../storage/apiKeys.ts';

export interface KeyPrincipal {
  kind: 'api_key';
  keyId: number;
  name: string;
  scope: Scope;
}

export interface ApiKeys {
  /** Scope null: every area. */
  create(
    name: string,
    createdBy: string,
    scope?: string[] | null,
  ): Promise<{ key: string; record: ApiKeyRow }>;
  list(): Promise<ApiKeyRow[]>;
  /** Of the ids a scope would name, those that are no area or unit. */
  unknownPlaces(ids: readonly string[]): Promise<string[]>;
  revoke(id: number, by: string): Promise<ApiKeyRow>;
  /** The key's principal, or 401 with what to do. */
  verify(key: string): Promise<KeyPrincipal>;
  stop(): void;
}

const keyPattern = /^iocf_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const cacheMs = 10_000;

export function createApiKeys(queries: ApiKeyQueries): ApiKeys {
  const cache = new Map<string, { principal: KeyPrincipal; until: number }>();
  const used = new Set<number>();
  const flushUse = setInterval(() => {
    const ids = [...used];
    used.clear();
    queries.touch(ids).catch(() => {});
  }, 60_000);
  flushUse.unref();

  const refuse = () =>
    new AppError(
      'UNAUTHENTICATED',
      'this API key is unknown or revoked; ask the city IOC administrator for a new one',
    );

  return {
    async create(name, createdBy, scope = null) {
      const prefix = randomBytes(6).toString('hex');
      const secret = generateSecret();
      const record = await queries.insert({
        name,
        prefix,
        hash: await hashSecret(secret, generatedSecretCost),
        createdBy,
        scope,
      });
      return { key: `iocf_${prefix}_${secret}`, record };
    },
    list: () => queries.list(),
    unknownPlaces: (ids) => queries.unknownPlaces(ids),
    async revoke(id, by) {
      const record = await queries.revoke(id, by);
      if (!record) throw new AppError('NOT_FOUND', `there is no API key ${id}`);
      for (const [digest, entry] of cache) if (entry.principal.keyId === id) cache.delete(digest);
      return record;
    },
    async verify(key) {
      // The cache is keyed by a digest, so the clear key is not kept in memory past this call.
      const digest = createHash('sha256').update(key).digest('base64url');
      const hit = cache.get(digest);
      if (hit && hit.until > Date.now()) {
        used.add(hit.principal.keyId);
        return hit.principal;
      }
      const match = keyPattern.exec(key);
      if (!match) {
        throw new AppError('UNAUTHENTICATED', 'malformed API key: expected iocf_<12 hex>_<43 characters>');
      }
      const row = await queries.activeByPrefix(match[1]!);
      if (!row || !(await verifySecret(match[2]!, row.hash))) throw refuse();
      const principal: KeyPrincipal = {
        kind: 'api_key',
        keyId: row.id,
        name: row.name,
        scope: scopeFrom(row.scope),
      };
      cache.set(digest, { principal, until: Date.now() + cacheMs });
      used.add(row.id);
      return principal;
    },
    stop() {
      clearInterval(flushUse);
    },
  };
}
