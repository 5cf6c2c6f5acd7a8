// The shape of the files in devices/: kinds (metrics, units, ranges) and fleets (inventories).
// Everything else (ingest validation, OpenAPI, simulators, console) derives from these.
import { z } from 'zod';

/**
 * The kinds shipped in devices/kinds, seeded as device profiles at start. Code knows these six by name
 * where a standard or a command applies to them (VN_AQI, noise limits, lamp commands, urgent fire
 * readings); any other kind is a profile an admin added (src/profiles), known from its data alone.
 */
export const kindNames = ['streetlight', 'environment', 'noise', 'fire', 'waste', 'camera'] as const;
export type SeededKind = (typeof kindNames)[number];
/**
 * A device profile's id, `kind` on the wire and in MQTT topics: the shape only. Whether the profile
 * exists is the catalog's answer, since admins add profiles at run time.
 */
export const KindName = z
  .string()
  .max(63)
  .regex(/^[a-z][a-z0-9-]{1,62}$/, "a device profile's id from /api/v1/profiles, e.g. environment");
export type KindName = z.infer<typeof KindName>;

/** The areas shipped in devices/places; others are added through the places API (src/places). */
export const cityIds = ['tay-ninh', 'hoi-an'] as const;
/**
 * An area's id (`city` on the wire and in MQTT topics): the shape only. Whether the area exists is
 * the places area's answer, since admins add areas at run time.
 */
export const CityId = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "an area's id from /api/v1/places/areas, e.g. tay-ninh");
export type CityId = z.infer<typeof CityId>;

const Bilingual = z.object({ vi: z.string().min(1), en: z.string().min(1) }).strict();

export const MetricDefinition = z
  .object({
    name: Bilingual,
    unit: z.string(),
    /** `flag` metrics carry 0 or 1 (lamp_on, flame, tamper...). */
    type: z.enum(['number', 'flag']),
    /** Plausible physical range: a value outside it is refused as a sensor fault, not stored. */
    min: z.number(),
    max: z.number(),
    /** `cumulative` counters (energy_kwh) only grow; rollups take differences, not averages. */
    cumulative: z.boolean().optional(),
  })
  .strict()
  .refine((m) => m.min < m.max, { message: 'min must be below max' });
export type MetricDefinition = z.infer<typeof MetricDefinition>;

export const MetricName = z
  .string()
  .max(64)
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'a-z, 0-9 and _, 64 at most');

export const KindDefinition = z
  .object({
    kind: KindName,
    name: Bilingual,
    description: Bilingual,
    /** Nominal seconds between two telemetry messages; offline detection counts in these. */
    reportingIntervalS: z.number().int().positive(),
    metrics: z.record(MetricName, MetricDefinition),
    /** What the console shows first, in this order; the other metrics follow. */
    primaryMetrics: z.array(MetricName).optional(),
    /** The FIWARE Smart Data Model a reading of this kind is closest to, e.g. `FloodMonitoring`. */
    ngsiLdType: z
      .string()
      .regex(/^[A-Z][A-Za-z0-9]{1,63}$/)
      .optional(),
  })
  .strict()
  .refine((k) => (k.primaryMetrics ?? []).every((m) => Object.hasOwn(k.metrics, m)), {
    message: 'primaryMetrics names only metrics of the kind',
    path: ['primaryMetrics'],
  });
export type KindDefinition = z.infer<typeof KindDefinition>;

export const DeviceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'lower-case letters, digits and dashes, 3 to 63 characters');

export const Zone = z.enum(['special', 'normal']);

export const FleetDevice = z
  .object({
    id: DeviceId,
    kind: KindName,
    /** A unit in force (devices/places); a former unit's id is still taken, as the unit it went into. */
    ward: z.string().min(1),
    /** The ward before 1 July 2025, where the device stood then: kept so history stays reportable. */
    wardBefore2025: z.string().min(1).optional(),
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    pole: z.string().min(1).optional(),
    zone: Zone.optional(),
    name: z.string().min(1),
  })
  .strict();
export type FleetDevice = z.infer<typeof FleetDevice>;

export const Ward = z
  .object({
    /** Stable slug used in device records and API filters, e.g. `phuong-tan-ninh`, `phuong-hoi-an`. */
    id: z.string().regex(/^[a-z0-9-]+$/),
    /** The official name with diacritics, e.g. `Phường Tân Ninh`, `Phường Hội An`. */
    name: z.string().min(1),
    type: z.enum(['ward', 'commune']),
    lat: z.number(),
    lon: z.number(),
  })
  .strict();
export type Ward = z.infer<typeof Ward>;

export const Fleet = z
  .object({
    city: CityId,
    name: Bilingual,
    lat: z.number(),
    lon: z.number(),
    wards: z.array(Ward).min(1),
    devices: z.array(FleetDevice),
  })
  .strict();
export type Fleet = z.infer<typeof Fleet>;
