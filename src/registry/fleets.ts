// Registering a city's fleet from devices/ in one go: used by POST /fleets/:city/load and by the demo.
import type { Fleet } from '../catalog/schema.ts';
import { deviceTopic } from '../ingest/topics.ts';
import type { DeviceRegistry } from './index.ts';

export interface DeviceCredentials {
  id: string;
  kind: string;
  city: string;
  /** `ioc/{city}/{kind}/{id}/`: append telemetry, status, event or cmd. */
  topicPrefix: string;
  secret: string;
}

export const topicPrefix = (device: { city: string; kind: string; id: string }) =>
  deviceTopic(device, 'telemetry').slice(0, -'telemetry'.length);

/**
 * Creates the fleet's devices that are not registered yet and returns their credentials. Devices
 * already registered keep their secret unless `rotate` says which of them get a new one.
 */
export async function registerFleet(
  registry: DeviceRegistry,
  fleet: Fleet,
  rotate: (id: string) => boolean = () => false,
): Promise<{ created: number; rotated: number; credentials: DeviceCredentials[] }> {
  const fields = fleet.devices.map(({ wardBefore2025: _before, ...d }) => ({
    ...d,
    city: fleet.city,
    pole: d.pole ?? null,
    zone: d.zone ?? null,
  }));
  const existing = fields.filter((d) => registry.get(d.id)).map((d) => d.id);
  const created = await registry.createMany(fields);
  const secrets = new Map(created.map((c) => [c.id, c.secret]));
  let rotated = 0;
  for (const id of existing) {
    if (!rotate(id)) continue;
    secrets.set(id, await registry.rotateCredentials(id));
    rotated++;
  }
  const credentials = [...secrets].map(([id, secret]) => {
    const device = registry.get(id)!;
    return { id, kind: device.kind, city: device.city, topicPrefix: topicPrefix(device), secret };
  });
  return { created: created.length, rotated, credentials };
}
