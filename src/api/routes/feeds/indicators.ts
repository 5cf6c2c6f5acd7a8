// Indicators per city or ward and reporting period, and the catalogue of indicators.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../../../catalog/index.ts';
import { CityId } from '../../../catalog/schema.ts';
import type { Feeds } from '../../../feeds/index.ts';
import { indicators } from '../../../feeds/indicators.ts';
import { periods } from '../../../feeds/periods.ts';
import { feedPageResponses } from '../../openapi/responses.ts';
import { callerScope } from '../../plugins/roles.ts';
import { sendPage } from './paging.ts';
import {
  Bound,
  Cursor,
  Format,
  feedErrors,
  feedScope,
  IndicatorList,
  reachCheck,
  type WardCheck,
  wardCheck,
} from './query.ts';

export const IndicatorQuery = z
  .object({
    city: CityId,
    ward: z.string().max(100).optional().describe('a ward id, or * for every ward; omitted: the whole city'),
    period: z.enum(periods).default('day'),
    from: Bound.optional().describe('start, inclusive: 2026-01-01 (local midnight) or an ISO time'),
    to: Bound.optional().describe('end, exclusive'),
    indicator: IndicatorList.optional(),
    group: z.enum(['key', 'sector']).optional(),
    format: Format,
    cursor: Cursor.optional(),
    units: z
      .enum(['current', 'before-2025'])
      .optional()
      .describe(
        'current (omitted): by the units in force since 1 July 2025 (a former unit id asks for the unit it went into); ' +
          'before-2025: by the former units, for a period before that day',
      ),
  })
  .strict();
export type IndicatorQuery = z.infer<typeof IndicatorQuery>;

const IndicatorItem = z.object({
  period: z.string().describe('2026-11-29T14:00+07:00 (hour), 2026-11-29, 2026-11, 2026-Q4, 2026'),
  start: z.string(),
  end: z.string(),
  city: z.string(),
  ward: z.string().nullable().describe('null: the whole city'),
  wardName: z.string().nullable(),
  indicator: z.string(),
  name: z.object({ vi: z.string(), en: z.string() }),
  group: z.enum(['key', 'sector']),
  sector: z.string(),
  dimension: z.string().nullable(),
  value: z.number().nullable(),
  unit: z.string(),
  max: z.number().nullable(),
  sum: z.number(),
  count: z.number(),
  partial: z.boolean(),
  standard: z
    .string()
    .optional()
    .describe(
      'noise indicators: the QCVN 26 version(s) in force in the period, e.g. QCVN 26:2025/BNNMT (from 14 Nov 2025)',
    ),
});
export const IndicatorPage = z
  .object({
    timezone: z.literal('Asia/Ho_Chi_Minh'),
    items: z.array(IndicatorItem),
    cursor: z.string(),
    hasMore: z.boolean(),
  })
  .meta({
    example: {
      timezone: 'Asia/Ho_Chi_Minh',
      items: [
        {
          period: '2026-11',
          start: '2026-10-31T17:00:00.000Z',
          end: '2026-11-30T17:00:00.000Z',
          city: 'hoi-an',
          ward: 'phuong-hoi-an',
          wardName: 'Phường Hội An',
          indicator: 'aqi_daily',
          name: { vi: 'Chỉ số VN_AQI ngày', en: 'Daily VN_AQI' },
          group: 'key',
          sector: 'environment',
          dimension: null,
          value: 58.4,
          unit: '',
          max: 97,
          sum: 1752,
          count: 30,
          partial: false,
        },
      ],
      cursor: 'eyJ2IjoxLCJmZWVkIjoiaW5kaWNhdG9ycyIsImYiOiJ...',
      hasMore: false,
    },
  });

/** The fields of the JSON page besides items, cursor and hasMore. */
export const indicatorPageHead = { timezone: 'Asia/Ho_Chi_Minh' };
export const indicatorColumns = [
  'period',
  'start',
  'end',
  'city',
  'ward',
  'wardName',
  'indicator',
  'name_vi',
  'name_en',
  'group',
  'sector',
  'dimension',
  'value',
  'unit',
  'max',
  'sum',
  'count',
  'partial',
];

/** A page of indicators for a checked query; `open`: what open data may show. */
export function readIndicators(feeds: Feeds, checkWard: WardCheck) {
  return (query: IndicatorQuery & { scope?: string[] | undefined }, open: boolean) => {
    checkWard(query.city, query.ward);
    return feeds.indicators({ ...query, open });
  };
}

export async function indicatorRoutes(app: FastifyInstance, opts: { feeds: Feeds; catalog: Catalog }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = readIndicators(opts.feeds, wardCheck(opts.catalog));
  const checkReach = reachCheck(opts.catalog);

  r.get(
    '/feeds/indicators',
    {
      config: { role: 'feed' },
      schema: {
        operationId: 'getIndicatorFeed',
        summary: 'Chỉ tiêu theo địa bàn, phường và kỳ báo cáo / Indicators per city or ward and period',
        description:
          'Giờ địa phương; chỉ tiêu chính và theo ngành. Đọc lần đầu với `from` và `to`, sau đó hỏi lại bằng `cursor` ' +
          'để nhận các kỳ đã thay đổi. `format=csv` cho CSV UTF-8 có BOM. Ý nghĩa các trường: docs/feeds.md. / ' +
          'Local time; key and sector indicators. First read with `from` and `to`; then poll with the returned ' +
          '`cursor` to get the periods that changed since (a closed hour or day is published once, again only if ' +
          'late data changes it). `format=csv` gives UTF-8 CSV with a byte-order mark. Field meanings: docs/feeds.md.',
        tags: ['feeds'],
        querystring: IndicatorQuery,
        response: { ...feedPageResponses(IndicatorPage), ...feedErrors },
      },
    },
    async (request, reply) => {
      const scope = callerScope(request);
      checkReach(scope, request.query.city, request.query.ward);
      const page = await read({ ...request.query, scope: feedScope(scope) }, false);
      return sendPage(request, reply, request.query.format, page, indicatorPageHead, indicatorColumns);
    },
  );

  r.get(
    '/feeds/indicators/catalog',
    {
      config: { role: 'feed' },
      schema: {
        operationId: 'getIndicatorCatalog',
        summary: 'Danh mục chỉ tiêu / The indicator catalogue',
        description:
          'Tên, mô tả, đơn vị, chính hay theo ngành, cách tổng hợp. / ' +
          'Names, description, unit, key or sector, how each aggregates.',
        tags: ['feeds'],
        response: { 200: z.object({ items: z.array(z.record(z.string(), z.unknown())) }), ...feedErrors },
      },
    },
    async () => ({ items: indicators.map((i) => ({ ...i })) }),
  );
}
