// Who may connect, publish and subscribe on the embedded broker (the MQTT contract, src/ingest/topics.ts):
// a device connects with client id = username = its id and its own secret, publishes only under
// ioc/{city}/{kind}/{id}/{telemetry|status|event}, and subscribes only to its own cmd topic.
import type { Client } from 'aedes';
import { deviceTopic } from '../ingest/topics.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { ClientCertificate } from './tls.ts';

// CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3].
export const connackBadCredentials = 4;
export const connackNotAuthorized = 5;

export type AuthOutcome =
  /** handle: the registry's number for the device (registry.handleOf), sent with its publishes. */
  | { ok: true; deviceId: string; handle: number }
  | { ok: true; deviceId: null }
  | {
      ok: false;
      returnCode: number;
      reason:
        | 'no_credentials'
        | 'client_id_mismatch'
        | 'unknown_device'
        | 'bad_secret'
        | 'device_disabled'
        | 'bad_certificate'
        | 'certificate_mismatch'
        | 'internal_error';
    };

/**
 * A verified client certificate (CN = device id) stands in for the password; a password sent beside
 * it must still be right. Without a certificate the device's own secret is checked.
 */
export async function authenticateDevice(
  registry: DeviceRegistry,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  allowAnonymous: boolean,
  certificate: ClientCertificate = null,
): Promise<AuthOutcome> {
  if (certificate && 'invalid' in certificate)
    return { ok: false, returnCode: connackBadCredentials, reason: 'bad_certificate' };
  if (certificate) {
    const id = certificate.deviceId;
    if (clientId !== id || (username !== undefined && username !== id))
      return { ok: false, returnCode: connackBadCredentials, reason: 'certificate_mismatch' };
    if (!registry.get(id)) return { ok: false, returnCode: connackBadCredentials, reason: 'unknown_device' };
    if (password !== undefined && !(await registry.verifyCredentials(id, password.toString('utf8'))))
      return { ok: false, returnCode: connackBadCredentials, reason: 'bad_secret' };
    return accepted(registry, id);
  }
  if (username === undefined && password === undefined) {
    return allowAnonymous
      ? { ok: true, deviceId: null }
      : { ok: false, returnCode: connackNotAuthorized, reason: 'no_credentials' };
  }
  if (username !== clientId)
    return { ok: false, returnCode: connackBadCredentials, reason: 'client_id_mismatch' };
  if (!registry.get(username))
    return { ok: false, returnCode: connackBadCredentials, reason: 'unknown_device' };
  const ok =
    password !== undefined && (await registry.verifyCredentials(username, password.toString('utf8')));
  return ok
    ? accepted(registry, username)
    : { ok: false, returnCode: connackBadCredentials, reason: 'bad_secret' };
}

/**
 * A device whose credentials checked out, with its handle; unknown if it was deleted meanwhile. A
 * disabled one is told "not authorized" (not "bad credentials"): its secret is right, an admin switched
 * it off. Checked after the secret, so only the device itself learns that it is disabled.
 */
function accepted(registry: DeviceRegistry, deviceId: string): AuthOutcome {
  if (registry.get(deviceId)?.disabledAt)
    return { ok: false, returnCode: connackNotAuthorized, reason: 'device_disabled' };
  const handle = registry.handleOf(deviceId);
  return handle === undefined
    ? { ok: false, returnCode: connackBadCredentials, reason: 'unknown_device' }
    : { ok: true, deviceId, handle };
}

/** The one topic a device may subscribe to; null when it may subscribe to nothing. */
export function allowedSubscription(registry: DeviceRegistry, deviceId: string): string | null {
  const device = registry.get(deviceId);
  return device ? deviceTopic(device, 'cmd') : null;
}

/** Which device a connected client speaks for (its id and handle); null for an anonymous development client. */
export type Identity = { deviceId: string; handle: number } | null;
// Kept on the client itself under a symbol of ours: read on every publish, where a WeakMap lookup
// was a visible share of the broker thread's time (bench profile).
const identityKey = Symbol('ioc.identity');
type IdentifiedClient = Client & { [identityKey]?: Identity };
export const rememberIdentity = (client: Client, identity: Identity) => {
  (client as IdentifiedClient)[identityKey] = identity;
};
export const identityOf = (client: Client): Identity | undefined => (client as IdentifiedClient)[identityKey];
