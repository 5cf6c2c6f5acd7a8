// Shapes shared by routes: the error body, device input, time parameters (a device's answer: src/registry/wire.ts).
import { z } from 'zod';
import { CityId, DeviceId, KindName, Zone } from '../catalog/schema.ts';

// Registered by id, so the OpenAPI document states it once (components.schemas.Error) and refers to it.
export const ErrorBody = z
  .object({
    error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  })
  .meta({ id: 'Error', description: 'Lỗi / An error: {"error": {"code", "message", "details"?}}' });

// Every text field has a maximum: the row is read back on every list, and the audit log keeps the body.
export const DeviceInput = z
  .object({
    id: DeviceId.max(63),
    kind: KindName,
    city: CityId,
    ward: z.string().min(1).max(64),
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    pole: z.string().min(1).max(64).nullable().optional(),
    zone: Zone.nullable().optional(),
    name: z.string().min(1).max(200),
  })
  .strict();

export const DevicePatch = DeviceInput.omit({ id: true, kind: true }).partial().strict();

export const DeviceParams = z.object({ id: z.string().min(1).max(64) });

/** A time given as ISO 8601 or epoch milliseconds. */
export const TimeParam = z.union([
  z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform((s) => new Date(Number(s))),
]);

const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** `300`, `30s`, `5m`, `1h`, `1d` → seconds. */
export const BucketParam = z
  .string()
  .regex(/^\d+[smhd]?$/, 'a duration such as 300, 5m, 1h or 1d')
  .transform((s) => {
    const unit = /[smhd]$/.test(s) ? s.slice(-1) : 's';
    return Number.parseInt(s, 10) * units[unit]!;
  })
  .refine((seconds) => seconds >= 1 && seconds <= 31 * 86_400, 'between 1 second and 31 days');
