// What an installer / vendor account reaches: the devices of some profiles (a profile is a device
// kind, `devices.kind`) and/or some devices by id, wherever they stand. Nothing else: no area, no
// alert, no rule. This file is the one rule; list queries apply it in SQL (src/storage/deviceScope.ts).
import type { Scope } from './scope.ts';

export interface DeviceScope {
  readonly profiles: ReadonlySet<string>;
  readonly devices: ReadonlySet<string>;
}

/** The lists as stored (migration 027) and as the API shows them, each sorted. */
export interface DeviceScopeLists {
  profiles: string[];
  devices: string[];
}

/** Most ids one list may name: a vendor's fleet in one city, with room to spare. */
export const maxDeviceScopeIds = 1_000;

/**
 * An installer's area scope: no area at all. A query that narrows by area and forgets the device
 * lists shows an installer nothing, never everything.
 */
export const nowhere: Scope = { all: false, ids: new Set() };

export function deviceScopeFrom(
  profiles: readonly string[] | null | undefined,
  devices: readonly string[] | null | undefined,
): DeviceScope | undefined {
  if (!profiles && !devices) return undefined;
  return { profiles: new Set(profiles ?? []), devices: new Set(devices ?? []) };
}

export function deviceScopeLists(scope: DeviceScope): DeviceScopeLists {
  return { profiles: [...scope.profiles].sort(), devices: [...scope.devices].sort() };
}

/** A registered device is reached when its id is listed or its profile (kind) is. */
export function reachesDevice(scope: DeviceScope, device: { id: string; kind: string }): boolean {
  return scope.devices.has(device.id) || scope.profiles.has(device.kind);
}

/** Equal lists: a socket's or a cached account's compared after a change. */
export function sameDeviceScope(a: DeviceScope | undefined, b: DeviceScope | undefined): boolean {
  if (!a || !b) return a === b;
  const same = (x: ReadonlySet<string>, y: ReadonlySet<string>) =>
    x.size === y.size && [...x].every((id) => y.has(id));
  return same(a.profiles, b.profiles) && same(a.devices, b.devices);
}
