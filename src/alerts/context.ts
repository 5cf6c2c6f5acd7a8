// What an operator needs around an alert: the other devices on its device's pole, the nearest cameras
// with their state, and the device's stored readings around the moment the alert opened. Positions
// come from the registry in memory; states and readings from PostgreSQL, a handful of statements.
import { z } from 'zod';
import type { DeviceRegistry } from '../registry/index.ts';
import type { AlertContextQueries, DeviceState } from '../storage/alertContext.ts';
import type { AlertRecord } from '../storage/alerts.ts';
import type { DeviceRow } from '../storage/devices.ts';
import type { Pool } from '../storage/pool.ts';
import { readRaw } from '../storage/telemetry.ts';

const ContextDeviceWire = z.object({
  id: z.string(),
  kind: z.string(),
  name: z.string(),
  city: z.string(),
  ward: z.string(),
  lat: z.number(),
  lon: z.number(),
  pole: z.string().nullable(),
  online: z.boolean().nullable().describe('null: it never reported a status'),
  statusAt: z.string().nullable(),
  status: z.record(z.string(), z.unknown()).nullable().describe('its last status message'),
  lastSeen: z.string().nullable(),
  latest: z.array(z.object({ metric: z.string(), ts: z.string(), value: z.number() })),
});

export const AlertContextWire = z.object({
  alertId: z.number(),
  device: ContextDeviceWire.nullable().describe("the alert's device; null for the IOC's own alerts"),
  pole: z.object({
    id: z.string().nullable(),
    devices: z.array(ContextDeviceWire).describe('the other devices on the same pole'),
  }),
  cameras: z
    .array(ContextDeviceWire.extend({ distanceM: z.number() }))
    .describe('nearest first, within radiusM'),
  readings: z.object({
    from: z.string(),
    to: z.string(),
    points: z.array(z.object({ ts: z.string(), metric: z.string(), value: z.number() })),
    truncated: z.boolean().describe('more readings than maxReadings in the window: the first ones are shown'),
  }),
});
export type AlertContextWire = z.infer<typeof AlertContextWire>;

export interface ContextOptions {
  /** Minutes of readings before the alert opened, and after. */
  beforeMin: number;
  afterMin: number;
  /** How many cameras, and how far from the device. */
  cameras: number;
  radiusM: number;
}

export const maxReadings = 5_000;

/** Great-circle distance in metres (haversine): a few metres' error across a city is nothing here. */
export function distanceM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.min(1, Math.sqrt(h)));
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function deviceWire(row: DeviceRow, state: DeviceState | undefined) {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    city: row.city,
    ward: row.ward,
    lat: row.lat,
    lon: row.lon,
    pole: row.pole,
    online: state?.online ?? row.online,
    statusAt: iso(state?.statusAt ?? row.statusAt),
    status: state?.status ?? null,
    lastSeen: iso(state?.lastSeen ?? row.lastSeen),
    latest: (state?.latest ?? []).map((l) => ({
      metric: l.metric,
      ts: l.time.toISOString(),
      value: l.value,
    })),
  };
}

export function createAlertContext(deps: {
  registry: DeviceRegistry;
  queries: AlertContextQueries;
  pool: Pool;
}) {
  const { registry, queries, pool } = deps;

  return async function alertContext(alert: AlertRecord, options: ContextOptions): Promise<AlertContextWire> {
    const from = new Date(alert.openedAt.getTime() - options.beforeMin * 60_000);
    const to = new Date(alert.openedAt.getTime() + options.afterMin * 60_000);
    const device = registry.get(alert.deviceId);
    if (!device) {
      return {
        alertId: alert.id,
        device: null,
        pole: { id: null, devices: [] },
        cameras: [],
        readings: { from: from.toISOString(), to: to.toISOString(), points: [], truncated: false },
      };
    }
    const onPole: DeviceRow[] = [];
    const cameras: Array<{ row: DeviceRow; distanceM: number }> = [];
    for (const other of registry.all()) {
      if (other.id === device.id || other.city !== device.city) continue;
      if (device.pole !== null && other.pole === device.pole) onPole.push(other);
      if (other.kind !== 'camera') continue;
      const d = distanceM(device, other);
      if (d <= options.radiusM) cameras.push({ row: other, distanceM: Math.round(d) });
    }
    cameras.sort((a, b) => a.distanceM - b.distanceM || a.row.id.localeCompare(b.row.id));
    const nearest = cameras.slice(0, options.cameras);
    onPole.sort((a, b) => a.id.localeCompare(b.id));

    const [states, points] = await Promise.all([
      queries.deviceStates([device.id, ...onPole.map((d) => d.id), ...nearest.map((c) => c.row.id)]),
      // `to` is exclusive in readRaw; a reading at the window's last millisecond belongs to it.
      readRaw(pool, {
        deviceId: device.id,
        metrics: undefined,
        from,
        to: new Date(to.getTime() + 1),
        limit: maxReadings + 1,
      }),
    ]);
    return {
      alertId: alert.id,
      device: deviceWire(device, states.get(device.id)),
      pole: { id: device.pole, devices: onPole.map((d) => deviceWire(d, states.get(d.id))) },
      cameras: nearest.map((c) => ({ ...deviceWire(c.row, states.get(c.row.id)), distanceM: c.distanceM })),
      readings: {
        from: from.toISOString(),
        to: to.toISOString(),
        points: points
          .slice(0, maxReadings)
          .map((p) => ({ ts: p.time.toISOString(), metric: p.metric, value: p.value })),
        truncated: points.length > maxReadings,
      },
    };
  };
}

export type AlertContext = ReturnType<typeof createAlertContext>;
