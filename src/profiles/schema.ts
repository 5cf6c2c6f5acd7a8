// The shapes of device profiles: what the API takes and answers. A profile is a device kind as data
// (metrics with units, types and plausible ranges, reporting interval, what the console shows first);
// the catalog compiles each into the KindDefinition that ingest, alerts and simulators read.
import { z } from 'zod';
import { KindName, MetricDefinition, MetricName } from '../catalog/schema.ts';

export const ProfileId = KindName.max(63).refine((id) => id !== 'system', {
  message: '"system" is the IOC\'s own kind (its self-alerts)',
});

export const Bilingual = z
  .object({ vi: z.string().min(1).max(500), en: z.string().min(1).max(500) })
  .strict();
export type Bilingual = z.infer<typeof Bilingual>;

// The catalog's metric with every text bounded: an admin's body is read back on every list.
export const Metric = MetricDefinition.safeExtend({
  name: z.object({ vi: z.string().min(1).max(200), en: z.string().min(1).max(200) }).strict(),
  unit: z.string().max(32),
}).meta({
  description:
    'Chỉ số: tên, đơn vị, kiểu (number hoặc flag 0/1), dải hợp lý, có tích lũy không / ' +
    'A metric: names, unit, type (number, or flag 0/1), plausible range, whether it is cumulative',
});

const fields = {
  name: Bilingual,
  description: Bilingual,
  reportingIntervalS: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400)
    .describe('nominal seconds between two telemetry messages; offline detection counts in these'),
  metrics: z
    .record(MetricName, Metric)
    .refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= 64, '1 to 64 metrics'),
  primaryMetrics: z
    .array(MetricName)
    .max(8)
    .default([])
    .describe('what the console shows first, in this order'),
  ngsiLdType: z
    .string()
    .max(64)
    .regex(/^[A-Z][A-Za-z0-9]{1,63}$/)
    .nullable()
    .default(null)
    .describe('the closest FIWARE Smart Data Model, e.g. FloodMonitoring (a hint; not published by itself)'),
};

const primaryAreMetrics = (p: { metrics: Record<string, unknown>; primaryMetrics: string[] }) =>
  p.primaryMetrics.every((m) => Object.hasOwn(p.metrics, m));
const primaryRefinement = {
  message: 'primaryMetrics names only metrics of the profile',
  path: ['primaryMetrics'],
};

/** A new profile, as an admin writes it. */
export const ProfileInput = z
  .object({ id: ProfileId, ...fields })
  .strict()
  .refine(primaryAreMetrics, primaryRefinement);
export type ProfileInput = z.infer<typeof ProfileInput>;

/** A profile replaced as a whole (its id stays). */
export const ProfileReplace = z.object(fields).strict().refine(primaryAreMetrics, primaryRefinement);
export type ProfileReplace = z.infer<typeof ProfileReplace>;

export const Profile = z
  .object({
    id: z.string(),
    name: Bilingual,
    description: Bilingual,
    reportingIntervalS: z.number(),
    metrics: z.record(z.string(), MetricDefinition),
    primaryMetrics: z.array(z.string()),
    ngsiLdType: z.string().nullable(),
    /** 'seed': as shipped in devices/kinds (refreshed by a later start); 'admin': written through the API. */
    origin: z.enum(['seed', 'admin']),
  })
  .meta({ id: 'DeviceProfile' });
export type Profile = z.infer<typeof Profile>;
