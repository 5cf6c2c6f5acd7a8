// Provisioning in the field: an admin's keys (./keys.ts) let devices claim their own identity
// (./claim.ts) without an admin registering each one. Depends on the registry (the one way a device
// is made), places (a unit from a position), the audit trail and a per-key limit (src/limits).
// Guarantees: a key's secret and the devices' secrets are shown once and stored hashed; a key never
// makes more devices than its count, nor after its expiry or revocation, whatever arrives at once.
import type { Audit } from '../audit/index.ts';
import type { Catalog } from '../catalog/index.ts';
import type { KeyLimit } from '../limits/keyLimit.ts';
import type { Places } from '../places/index.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { ProvisioningQueries } from '../storage/provisioning.ts';
import { type Claimed, type ClaimInput, createClaims } from './claim.ts';
import { createProvisioningKeys, type ProvisioningKeys } from './keys.ts';

export type { Claimed, ClaimInput } from './claim.ts';
export type { ProvisioningKeyInput } from './keys.ts';

export interface Provisioning {
  keys: ProvisioningKeys;
  claim(input: ClaimInput, from: { ip: string }): Promise<Claimed>;
  /** The devices a key made, newest first. */
  claims: ProvisioningQueries['claims'];
}

export function createProvisioning(deps: {
  queries: ProvisioningQueries;
  registry: DeviceRegistry;
  catalog: Catalog;
  places: Places;
  audit: Audit;
  /** Claims per key (src/limits/keyLimit.ts), shared between instances when it is. */
  limit: KeyLimit;
  clock?: () => Date;
}): Provisioning {
  const clock = deps.clock ?? (() => new Date());
  return {
    keys: createProvisioningKeys({ ...deps, clock }),
    claim: createClaims({ ...deps, clock }),
    claims: (id) => deps.queries.claims(id),
  };
}
