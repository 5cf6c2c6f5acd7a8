// Registers a generated fleet in a running IOC through its API (POST /devices, admin), a few requests
// at a time; a device already registered (409) gets a fresh secret so the credentials file covers it.
import type { Catalog } from '../src/catalog/index.ts';
import { type DeviceCredentials, topicPrefix } from '../src/registry/fleets.ts';
import { generateFleet } from './generatedFleet.ts';

export async function registerGenerated(options: {
  url: string;
  user: string;
  password: string;
  catalog: Catalog;
  count: number;
  seed: number;
  concurrency?: number;
  /** Called after each device, for a progress line. */
  onProgress?: (registered: number, total: number) => void;
}): Promise<DeviceCredentials[]> {
  const login = await fetch(`${options.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: options.user, password: options.password }),
  });
  if (!login.ok) throw new Error(`login refused (${login.status}): ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const devices = generateFleet(options.catalog, options.count, options.seed);
  const issued: DeviceCredentials[] = [];
  let next = 0;
  async function worker() {
    while (next < devices.length) {
      const device = devices[next++]!;
      let res = await fetch(`${options.url}/api/v1/devices`, {
        method: 'POST',
        headers,
        body: JSON.stringify(device),
      });
      let secret: string | undefined;
      if (res.status === 201)
        secret = ((await res.json()) as { credentials: { secret: string } }).credentials.secret;
      else if (res.status === 409) {
        res = await fetch(`${options.url}/api/v1/devices/${device.id}/credentials`, {
          method: 'POST',
          headers,
        });
        if (res.ok) secret = ((await res.json()) as { secret: string }).secret;
      }
      if (!secret) throw new Error(`registering ${device.id} failed (${res.status}): ${await res.text()}`);
      issued.push({
        id: device.id,
        kind: device.kind,
        city: device.city,
        topicPrefix: topicPrefix(device),
        secret,
      });
      options.onProgress?.(issued.length, devices.length);
    }
  }
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return issued;
}
