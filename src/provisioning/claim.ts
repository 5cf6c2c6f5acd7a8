// A device (or an installer's phone) claims its identity with a provisioning key: the key's secret is
// checked, the device's kind and place against the key's scope, one of the key's claims is taken under
// its row lock, and the device is registered through the registry, exactly as POST /api/v1/devices
// does. Every claim is audited as `provision:<key name>`; attempts with a wrong key or secret, and
// those over the key's rate, are counted per minute like other unidentified attempts (src/audit).

import type { Audit } from '../audit/index.ts';
import { verifySecret } from '../auth/secrets.ts';
import type { Catalog } from '../catalog/index.ts';
import { AppError } from '../errors.ts';
import type { KeyLimit } from '../limits/keyLimit.ts';
import type { Places } from '../places/index.ts';
import type { Bilingual } from '../places/schema.ts';
import type { DeviceRegistry, RegisteredDevice } from '../registry/index.ts';
import type { AuditOutcome } from '../storage/audit.ts';
import type { DeviceFields } from '../storage/devices.ts';
import type { ProvisioningKeyRow, ProvisioningQueries } from '../storage/provisioning.ts';
import { keyIdPattern } from './keys.ts';
import { type ClaimRefusal, provisionError, texts } from './texts.ts';

export interface ClaimInput {
  /** The key's public id, `iocp_<12 hex>`. */
  key: string;
  secret: string;
  id: string;
  kind: string;
  lat: number;
  lon: number;
  /** Must be the key's area when given. */
  city?: string;
  /** Unset: the unit whose boundary holds the position, else the key's own unit. */
  ward?: string;
  name?: string;
  pole?: string | null;
  zone?: 'special' | 'normal' | null;
}

export interface Claimed {
  device: RegisteredDevice;
  /** The device's MQTT secret: in this answer only. */
  secret: string;
  keyName: string;
  notice?: Bilingual;
}

/** The audit trail's name for a claim, as for the API's other actions (`METHOD route`). */
export const claimAction = 'POST /api/v1/provisioning/claim';

const refuse = (code: AppError['code'], reason: ClaimRefusal, text: Bilingual, details = {}) =>
  provisionError(code, text, { reason, ...details });

const outcomeOf = (status: number): AuditOutcome =>
  status < 400 ? 'success' : status === 401 || status === 403 || status === 429 ? 'denied' : 'failure';

export function createClaims(deps: {
  queries: ProvisioningQueries;
  registry: DeviceRegistry;
  catalog: Catalog;
  places: Places;
  audit: Audit;
  limit: KeyLimit;
  clock: () => Date;
}): (input: ClaimInput, from: { ip: string }) => Promise<Claimed> {
  const { queries, registry, catalog, places, audit, limit, clock } = deps;

  /** The key the claim names, once its secret is right; else 401 (or 429 over the key's rate). */
  async function authenticate(input: ClaimInput, ip: string): Promise<ProvisioningKeyRow> {
    const unidentified = (status: number, error: string, actor: string | null) =>
      audit.record({
        actor,
        actorRole: null,
        action: claimAction,
        target: input.id,
        ip,
        outcome: outcomeOf(status),
        status,
        details: { error },
      });
    if (!keyIdPattern.test(input.key)) {
      await unidentified(401, 'UNAUTHENTICATED', null);
      throw refuse('UNAUTHENTICATED', 'BAD_KEY', texts.badKey);
    }
    // Before any hash: guessing a key's secret, or a script claiming in a loop, costs the key's budget.
    const waitMs = await limit.take(input.key);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      await unidentified(429, 'RATE_LIMITED', null);
      throw refuse('RATE_LIMITED', 'RATE_LIMITED', texts.rateLimited(seconds), {
        retryAfterSeconds: seconds,
      });
    }
    const key = await queries.byKeyId(input.key);
    if (!key || !(await verifySecret(input.secret, key.secretHash))) {
      await unidentified(401, 'UNAUTHENTICATED', key ? `provision:${key.name}` : null);
      throw refuse('UNAUTHENTICATED', 'BAD_KEY', texts.badKey);
    }
    const { secretHash: _hidden, ...row } = key;
    return row;
  }

  /** The device's fields inside the key's scope; refuses a kind, an area or a unit outside it. */
  function fieldsWithin(
    key: ProvisioningKeyRow,
    input: ClaimInput,
  ): { fields: DeviceFields; notice?: Bilingual } {
    if (!catalog.kinds.has(input.kind as never)) {
      throw provisionError('VALIDATION_FAILED', texts.unknownKind(input.kind, [...catalog.kinds.keys()]), {
        kind: input.kind,
      });
    }
    if (key.kinds && !key.kinds.includes(input.kind)) {
      throw refuse('FORBIDDEN', 'KIND_NOT_ALLOWED', texts.kindNotAllowed(input.kind, key.kinds), {
        kind: input.kind,
      });
    }
    if (input.city !== undefined && input.city !== key.city) {
      throw refuse('FORBIDDEN', 'AREA_NOT_ALLOWED', texts.areaNotAllowed(input.city, key.city), {
        city: input.city,
      });
    }
    const named = input.ward ?? places.unitAt(input.lat, input.lon, key.city)?.id ?? key.unit;
    if (!named) throw refuse('VALIDATION_FAILED', 'UNIT_NEEDED', texts.unitNeeded(key.city));
    // A boundary holding the position decides the unit over the one named (src/places).
    const place = places.placeOf({ city: key.city, ward: named, lat: input.lat, lon: input.lon });
    if (key.unit && place.ward !== key.unit) {
      throw refuse('FORBIDDEN', 'UNIT_NOT_ALLOWED', texts.unitNotAllowed(place.ward, key.unit), {
        ward: place.ward,
      });
    }
    const fields: DeviceFields = {
      id: input.id,
      kind: input.kind as DeviceFields['kind'],
      city: key.city as DeviceFields['city'],
      ward: place.ward,
      lat: input.lat,
      lon: input.lon,
      pole: input.pole ?? null,
      zone: input.zone ?? null,
      name: input.name ?? input.id,
    };
    return { fields, ...(place.notice ? { notice: place.notice } : {}) };
  }

  /** Takes one of the key's claims for the device, or says why not. */
  async function reserve(key: ProvisioningKeyRow, deviceId: string, ip: string): Promise<void> {
    const now = clock();
    const reservation = await queries.reserve(key.id, deviceId, ip, now);
    switch (reservation.outcome) {
      case 'reserved':
        return;
      case 'claimed':
        throw refuse('CONFLICT', 'ALREADY_CLAIMED', texts.alreadyClaimed(deviceId, reservation.claimedAt), {
          claimedAt: reservation.claimedAt.toISOString(),
        });
      case 'revoked':
      case 'unknown':
        throw refuse('FORBIDDEN', 'KEY_REVOKED', texts.revoked(key.name));
      case 'expired':
        throw refuse('FORBIDDEN', 'KEY_EXPIRED', texts.expired(key.name, key.expiresAt));
      case 'exhausted':
        throw refuse('FORBIDDEN', 'KEY_EXHAUSTED', texts.exhausted(key.name, key.maxClaims));
    }
  }

  return async function claim(input, { ip }) {
    const key = await authenticate(input, ip);
    const identified = (status: number, details: Record<string, unknown>) =>
      audit.record({
        actor: `provision:${key.name}`,
        actorRole: 'provisioning',
        action: claimAction,
        target: input.id,
        ip,
        outcome: outcomeOf(status),
        status,
        details: { key: key.keyId, kind: input.kind, ...details },
      });
    try {
      const { fields, notice } = fieldsWithin(key, input);
      await reserve(key, input.id, ip);
      // The device could not be registered (its id is taken, the broker refused its account): the
      // claim is given back, so the key's count says how many devices it made.
      const created = await registry.create(fields).catch(async (error: unknown) => {
        await queries.release(key.id, input.id);
        throw error;
      });
      await identified(201, { city: fields.city, ward: created.device.ward });
      const told = notice ?? created.notice;
      return {
        device: created.device,
        secret: created.secret,
        keyName: key.name,
        ...(told ? { notice: told } : {}),
      };
    } catch (error) {
      const status = error instanceof AppError ? error.statusCode : 500;
      const reason =
        error instanceof AppError ? (error.details as { reason?: string } | undefined)?.reason : undefined;
      await identified(status, {
        error: error instanceof AppError ? error.code : 'INTERNAL',
        ...(reason ? { reason } : {}),
      });
      throw error;
    }
  };
}
