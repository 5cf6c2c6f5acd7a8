// A device's history: raw points or time buckets (avg, min, max, count), for charts and exports.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inScope } from '../../auth/scope.ts';
import type { Catalog } from '../../catalog/index.ts';
import { AppError } from '../../errors.ts';
import type { DeviceRegistry } from '../../registry/index.ts';
import type { Pool } from '../../storage/pool.ts';
import { readBucketed, readRaw } from '../../storage/telemetry.ts';
import { readBucketedFromRollup } from '../../storage/telemetryRollupRead.ts';
import { callerScope } from '../plugins/roles.ts';
import { BucketParam, DeviceParams, ErrorBody, TimeParam } from '../schemas.ts';

/** One stored value: the history is read per metric (a live reading carries all of a message's metrics). */
export const PointWire = z.object({ ts: z.string(), metric: z.string(), value: z.number() });
/** One metric's values within a time bucket starting at `ts`. */
export const BucketWire = z.object({
  ts: z.string(),
  metric: z.string(),
  avg: z.number(),
  min: z.number(),
  max: z.number(),
  count: z.number(),
});

const maxPoints = 20_000;
const maxRangeDays = 366;

export async function telemetryRoutes(
  app: FastifyInstance,
  opts: { pool: Pool; registry: DeviceRegistry; catalog: Catalog },
) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/devices/:id/telemetry',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getDeviceTelemetry',
        summary: 'Lịch sử số đo của thiết bị / A device’s telemetry history',
        description:
          'Số đo gốc, hoặc theo khoảng thời gian khi có `bucket` (avg, min, max, count). / ' +
          'Raw readings, or buckets when `bucket` is given (time_bucket-aligned: avg, min, max, count). ' +
          'Buckets of whole hours (1h, 6h, 1d, …) are read from the hourly rollup, with the same values.',
        tags: ['telemetry'],
        params: DeviceParams,
        querystring: z.object({
          metric: z
            .string()
            .max(500)
            .optional()
            .describe('one metric or several separated by commas; all when omitted'),
          from: TimeParam.optional().describe('ISO 8601 or epoch ms; default: 24 h before `to`'),
          to: TimeParam.optional().describe('ISO 8601 or epoch ms, exclusive; default: now'),
          bucket: BucketParam.optional().describe('e.g. 5m, 1h, 1d, or seconds'),
          limit: z.coerce.number().int().min(1).max(maxPoints).default(maxPoints),
        }),
        response: {
          200: z.object({
            deviceId: z.string(),
            from: z.string(),
            to: z.string(),
            bucketSeconds: z.number().nullable(),
            source: z
              .enum(['raw', 'hourly'])
              .describe(
                'raw: read from raw telemetry; hourly: whole hours from the hourly rollup (and readings not yet ' +
                  'folded into it), the partial hours at either end of the range from raw telemetry',
              ),
            points: z
              .union([z.array(PointWire), z.array(BucketWire)])
              .describe('points without `bucket`, buckets with it'),
          }),
          400: ErrorBody,
          401: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request) => {
      const device = opts.registry.get(request.params.id);
      // Outside the caller's scope it does not exist for them: its id tells them nothing either.
      if (!device || !inScope(callerScope(request), device))
        throw new AppError('DEVICE_NOT_FOUND', `device ${request.params.id} does not exist`);
      const q = request.query;
      const to = q.to ?? new Date();
      const from = q.from ?? new Date(to.getTime() - 86_400_000);
      if (from >= to) throw new AppError('VALIDATION_FAILED', '`from` must be before `to`');
      if (to.getTime() - from.getTime() > maxRangeDays * 86_400_000) {
        throw new AppError(
          'VALIDATION_FAILED',
          `a range is at most ${maxRangeDays} days; page through longer periods`,
        );
      }
      const metrics = q.metric
        ?.split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      const known = opts.catalog.kind(device.kind).metrics;
      const unknown = metrics?.filter((m) => !Object.hasOwn(known, m)) ?? [];
      if (unknown.length > 0) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${device.kind} has no metric ${unknown.join(', ')}; known: ${Object.keys(known).join(', ')}`,
        );
      }
      const range = { deviceId: device.id, metrics, from, to, limit: q.limit };
      const base = { deviceId: device.id, from: from.toISOString(), to: to.toISOString() };
      if (q.bucket === undefined) {
        const points = await readRaw(opts.pool, range);
        return {
          ...base,
          bucketSeconds: null,
          source: 'raw' as const,
          points: points.map((p) => ({ ts: p.time.toISOString(), metric: p.metric, value: p.value })),
        };
      }
      // Whole-hour buckets (the 7- and 30-day charts) from the hourly rollup: a month of minute
      // readings is tens of thousands of messages to unpack, its rollup a few hundred rows.
      const bucketed = { ...range, bucketSeconds: q.bucket };
      const fromRollup = await readBucketedFromRollup(opts.pool, bucketed);
      const points = fromRollup ?? (await readBucketed(opts.pool, bucketed));
      return {
        ...base,
        bucketSeconds: q.bucket,
        source: fromRollup ? ('hourly' as const) : ('raw' as const),
        points: points.map((p) => ({
          ts: p.time.toISOString(),
          metric: p.metric,
          avg: p.avg,
          min: p.min,
          max: p.max,
          count: p.count,
        })),
      };
    },
  );
}
