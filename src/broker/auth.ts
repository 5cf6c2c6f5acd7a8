// Who may connect, publish and subscribe on the embedded broker (DESIGN.md "MQTT contract"):
// a device connects with client id = username = its id and its own secret, publishes only under
// ioc/{city}/{kind}/{id}/{telemetry|status|event}, and subscribes only to its own cmd topic.
import type { Client } from 'aedes';
import { deviceTopic } from '../ingest/topics.ts';
import type { DeviceRegistry } from '../registry/index.ts';

// CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3].
export const connackBadCredentials = 4;
export const connackNotAuthorized = 5;

export type AuthOutcome =
  | { ok: true; deviceId: string | null }
  | {
      ok: false;
      returnCode: number;
      reason: 'no_credentials' | 'client_id_mismatch' | 'unknown_device' | 'bad_secret';
    };

export async function authenticateDevice(
  registry: DeviceRegistry,
  clientId: string,
  username: string | undefined,
  password: Buffer | undefined,
  allowAnonymous: boolean,
): Promise<AuthOutcome> {
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
    ? { ok: true, deviceId: username }
    : { ok: false, returnCode: connackBadCredentials, reason: 'bad_secret' };
}

/** The one topic a device may subscribe to; null when it may subscribe to nothing. */
export function allowedSubscription(registry: DeviceRegistry, deviceId: string): string | null {
  const device = registry.get(deviceId);
  return device ? deviceTopic(device, 'cmd') : null;
}

/** Which device a connected client speaks for; null for an anonymous development client. */
const identities = new WeakMap<Client, string | null>();
export const rememberIdentity = (client: Client, deviceId: string | null) => identities.set(client, deviceId);
export const identityOf = (client: Client): string | null | undefined => identities.get(client);
