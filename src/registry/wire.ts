// A device as every surface sends it: the REST API whole, the live console's snapshot as the summary
// fields plus its live state (src/live/wire.ts). One schema, so OpenAPI and the answers agree, and one
// function from the registered row, so the two surfaces name and format a field the same way.
// Shapes and examples: docs/wire-shapes.md.
import { z } from 'zod';
import { CityId, KindName, Zone } from '../catalog/schema.ts';
import type { DeviceRow } from '../storage/devices.ts';

export const DeviceWire = z.object({
  id: z.string(),
  kind: KindName,
  city: CityId,
  ward: z.string(),
  lat: z.number(),
  lon: z.number(),
  pole: z.string().nullable(),
  zone: Zone.nullable(),
  name: z.string(),
  online: z.boolean().nullable().describe('null: the device has never reported a status'),
  statusAt: z.string().nullable(),
  lastSeen: z.string().nullable(),
  status: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  disabledAt: z
    .string()
    .nullable()
    .describe('when an admin disabled it (the broker refuses it); null: enabled'),
});
export type DeviceWire = z.infer<typeof DeviceWire>;

/** What a map marker needs: where the device stands, what it is called, whether it is connected. */
export const DeviceSummaryWire = DeviceWire.pick({
  id: true,
  kind: true,
  city: true,
  ward: true,
  name: true,
  lat: true,
  lon: true,
  online: true,
});
export type DeviceSummaryWire = z.infer<typeof DeviceSummaryWire>;

/** The fields both shapes are made of (a registered device, secret left out). */
export type DeviceSource = Omit<DeviceRow, 'secretHash'>;
type SummarySource = Pick<DeviceSource, keyof DeviceSummaryWire>;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The summary fields of a device, as both shapes write them. */
export function deviceSummaryWire(d: SummarySource): DeviceSummaryWire {
  return {
    id: d.id,
    kind: d.kind,
    city: d.city,
    ward: d.ward,
    name: d.name,
    lat: d.lat,
    lon: d.lon,
    online: d.online,
  };
}

/** The device as the REST API sends it. */
export function deviceWire(d: DeviceSource): DeviceWire {
  return {
    ...deviceSummaryWire(d),
    pole: d.pole,
    zone: d.zone,
    statusAt: iso(d.statusAt),
    lastSeen: iso(d.lastSeen),
    status: d.status,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    disabledAt: iso(d.disabledAt),
  };
}
