// Per-device hourly and daily statistics of every metric, for the periods published as closed.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../../../catalog/index.ts';
import { CityId, KindName } from '../../../catalog/schema.ts';
import type { Feeds } from '../../../feeds/index.ts';
import { feedPageResponses } from '../../openapi/responses.ts';
import { callerScope } from '../../plugins/roles.ts';
import { sendPage } from './paging.ts';
import { Bound, Cursor, Format, feedErrors, feedScope, wardCheck } from './query.ts';

export const AggregateQuery = z
  .object({
    period: z.enum(['hour', 'day']).default('hour'),
    city: CityId.optional(),
    ward: z.string().max(100).optional(),
    kind: KindName.optional(),
    metric: z.string().max(64).optional(),
    from: Bound.optional(),
    to: Bound.optional(),
    limit: z.coerce.number().int().min(1).max(50_000).default(5_000),
    format: Format,
    cursor: Cursor.optional(),
  })
  .strict();

const AggregateItem = z.object({
  period: z.string(),
  start: z.string(),
  deviceId: z.string(),
  kind: z.string(),
  city: z.string(),
  ward: z.string(),
  metric: z.string(),
  count: z.number(),
  mean: z.number(),
  min: z.number(),
  max: z.number(),
  sum: z.number(),
});
export const AggregatePage = z
  .object({ items: z.array(AggregateItem), cursor: z.string(), hasMore: z.boolean() })
  .meta({
    example: {
      items: [
        {
          period: '2026-11-29T14:00+07:00',
          start: '2026-11-29T07:00:00.000Z',
          deviceId: 'ha-env-001',
          kind: 'environment',
          city: 'hoi-an',
          ward: 'phuong-hoi-an',
          metric: 'pm25',
          count: 60,
          mean: 31.2,
          min: 24.5,
          max: 40.1,
          sum: 1872,
        },
      ],
      cursor: 'eyJ2IjoxLCJmZWVkIjoiYWdncmVnYXRlcyIs...',
      hasMore: true,
    },
  });

export const aggregateColumns = [
  'period',
  'start',
  'deviceId',
  'kind',
  'city',
  'ward',
  'metric',
  'count',
  'mean',
  'min',
  'max',
  'sum',
];

export async function aggregateRoutes(app: FastifyInstance, opts: { feeds: Feeds; catalog: Catalog }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const checkWard = wardCheck(opts.catalog);

  r.get(
    '/feeds/aggregates',
    {
      config: { role: 'feed' },
      schema: {
        operationId: 'getAggregateFeed',
        summary: 'Thống kê theo giờ hoặc ngày của từng thiết bị / Per-device hourly or daily statistics',
        description:
          'Số lần, trung bình, nhỏ nhất, lớn nhất và tổng của mỗi chỉ số, cho các kỳ đã đóng. Không có cursor: mọi kỳ ' +
          'đã công bố (giới hạn bằng `from`/`to`); đọc tiếp theo `cursor` khi `hasMore`. / ' +
          'Count, mean, min, max and sum of every metric, for closed periods. Without a cursor: every published ' +
          'period (narrow with `from`/`to`, which bound the period start). Follow `cursor` while `hasMore`; keep ' +
          'the last one and poll with it for periods published since.',
        tags: ['feeds'],
        querystring: AggregateQuery,
        response: { ...feedPageResponses(AggregatePage), ...feedErrors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (q.city) checkWard(q.city, q.ward);
      const page = await opts.feeds.aggregates({ ...q, scope: feedScope(callerScope(request)) });
      return sendPage(request, reply, q.format, page, {}, aggregateColumns);
    },
  );
}
