// Provisioning keys: what an admin creates, lists and revokes. A key is a public id (`iocp_<12 hex>`)
// and a secret shown once and stored as a scrypt hash (src/auth/secrets.ts), scoped to an area, an
// optional unit in force and optional device kinds, with an expiry and a number of claims.
import { randomBytes } from 'node:crypto';
import { generatedSecretCost, generateSecret, hashSecret } from '../auth/secrets.ts';
import type { Catalog } from '../catalog/index.ts';
import type { Places } from '../places/index.ts';
import { placeError, texts as placeTexts } from '../places/texts.ts';
import type { ProvisioningKeyRow, ProvisioningQueries } from '../storage/provisioning.ts';
import { provisionError, texts } from './texts.ts';

export interface ProvisioningKeyInput {
  name: string;
  city: string;
  /** A unit in force (or a former one, taken as the unit it went into); unset: any unit of the area. */
  unit?: string | null;
  /** Device kinds (profiles) it may register; unset: any. */
  kinds?: string[] | null;
  expiresAt: Date;
  maxClaims: number;
}

export const keyIdPattern = /^iocp_[0-9a-f]{12}$/;

export interface ProvisioningKeys {
  /** The new key with its secret, which is not kept in clear anywhere. */
  create(
    input: ProvisioningKeyInput,
    createdBy: string,
  ): Promise<{ key: ProvisioningKeyRow; secret: string }>;
  list(): Promise<ProvisioningKeyRow[]>;
  revoke(id: number, by: string): Promise<ProvisioningKeyRow>;
}

export function createProvisioningKeys(deps: {
  queries: ProvisioningQueries;
  catalog: Catalog;
  places: Places;
  clock: () => Date;
}): ProvisioningKeys {
  const { queries, catalog, places, clock } = deps;

  /** Refuses an unknown area, unit or kind, so a key never promises what a claim would refuse. */
  function checkScope(input: ProvisioningKeyInput): { unit: string | null; kinds: string[] | null } {
    if (!places.area(input.city)) {
      const known = places.areas().map((a) => a.id);
      throw placeError('VALIDATION_FAILED', placeTexts.unknownArea(input.city, known), { city: input.city });
    }
    const unit = input.unit ? places.filterUnit(input.city, input.unit).ward : null;
    const kinds = input.kinds?.length ? [...new Set(input.kinds)] : null;
    for (const kind of kinds ?? []) {
      if (!catalog.kinds.has(kind as never)) {
        throw provisionError('VALIDATION_FAILED', texts.unknownKind(kind, [...catalog.kinds.keys()]), {
          kind,
        });
      }
    }
    if (input.expiresAt.getTime() <= clock().getTime()) {
      throw provisionError('VALIDATION_FAILED', texts.expiryPast);
    }
    return { unit, kinds };
  }

  return {
    async create(input, createdBy) {
      const { unit, kinds } = checkScope(input);
      const secret = generateSecret();
      const key = await queries.insert({
        name: input.name,
        keyId: `iocp_${randomBytes(6).toString('hex')}`,
        secretHash: await hashSecret(secret, generatedSecretCost),
        city: input.city,
        unit,
        kinds,
        expiresAt: input.expiresAt,
        maxClaims: input.maxClaims,
        createdBy,
      });
      if (!key) throw provisionError('CONFLICT', texts.nameTaken(input.name), { name: input.name });
      return { key, secret };
    },
    list: () => queries.list(),
    async revoke(id, by) {
      const key = await queries.revoke(id, by);
      if (!key) throw provisionError('NOT_FOUND', texts.notFound(id), { id });
      return key;
    },
  };
}
