// The province feeds over HTTP: indicators, aggregates and alerts for API keys (and logged-in users),
// JSON or CSV, ETag and If-None-Match, a rate limit per key, the admin's key management, and the
// anonymous open-data endpoints when the city turns them on.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { severities } from '../../alerts/rules.ts';
import type { Catalog } from '../../catalog/index.ts';
import { CityId, KindName } from '../../catalog/schema.ts';
import { AppError } from '../../errors.ts';
import { toCsv } from '../../feeds/csv.ts';
import type { Feeds, IndicatorRequest } from '../../feeds/index.ts';
import { indicators } from '../../feeds/indicators.ts';
import { ngsiEntities, ngsiTypes } from '../../feeds/ngsiLd.ts';
import { createByteCache, createGate, GateFull, normalisedKey } from '../../feeds/openCache.ts';
import { parseBound, periods } from '../../feeds/periods.ts';
import { createKeyAllowance } from '../../feeds/rateLimit.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { Pool } from '../../storage/pool.ts';
import { ErrorBody } from '../schemas.ts';
import { AlertBody } from './alerts.ts';

export interface FeedRouteOptions {
  feeds: Feeds;
  pool: Pool;
  catalog: Catalog;
  ratePerMinute: number;
  openData: boolean;
  /** Bytes of rendered open-data pages kept (OPEN_DATA_CACHE_BYTES). */
  openDataCacheBytes?: number;
  /** Open-data reads on the database at once (OPEN_DATA_CONCURRENCY); four times as many may wait. */
  openDataConcurrency?: number;
  metrics?: Metrics;
}

const Bound = z
  .string()
  .max(40)
  .transform((text, ctx) => {
    const date = parseBound(text);
    if (!date) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a local date (2026-11-29), a month (2026-11) or an ISO 8601 time with offset',
      });
      return z.NEVER;
    }
    return date;
  });
const Format = z.enum(['json', 'csv']).default('json');
const Cursor = z
  .string()
  .max(16_000)
  .describe('the `cursor` of the previous read, to continue or get what changed');
const IndicatorList = z
  .string()
  .max(1_000)
  .transform((s) => s.split(',').filter(Boolean))
  .describe('comma-separated indicator ids');

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
});
const IndicatorPage = z
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
          ward: 'minh-an',
          wardName: 'Phường Minh An',
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
const AggregatePage = z
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
          ward: 'minh-an',
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
// An alert as the operators' API shows it, less what only operators need, plus the ward's name.
const AlertItem = AlertBody.omit({
  details: true,
  lastSeenAt: true,
  acknowledgedBy: true,
  resolvedBy: true,
}).extend({
  wardName: z.string(),
});
const AlertPage = z.object({ items: z.array(AlertItem), cursor: z.string(), hasMore: z.boolean() }).meta({
  example: {
    items: [
      {
        id: 4182,
        ruleId: 1,
        ruleName: 'Fire alarm',
        deviceId: 'ha-ma-fire-0006',
        kind: 'fire',
        city: 'hoi-an',
        ward: 'minh-an',
        wardName: 'Minh An',
        severity: 'critical',
        state: 'acknowledged',
        message: {
          vi: 'Báo cháy tại Cảm biến cháy – Nguyễn Thái Học (Minh An)',
          en: 'Fire alarm at Fire sensor – Nguyễn Thái Học (Minh An)',
        },
        value: 1,
        count: 3,
        openedAt: '2026-11-29T07:02:11.000Z',
        acknowledgedAt: '2026-11-29T07:02:40.000Z',
        resolvedAt: null,
      },
    ],
    cursor: 'eyJ2IjoyLCJmZWVkIjoiYWxlcnRzIiwiZiI6Ii...',
    hasMore: false,
  },
});

const indicatorColumns = [
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
const aggregateColumns = [
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
const alertColumns = [
  'id',
  'ruleId',
  'ruleName',
  'deviceId',
  'kind',
  'city',
  'ward',
  'wardName',
  'severity',
  'state',
  'message_vi',
  'message_en',
  'value',
  'count',
  'openedAt',
  'acknowledgedAt',
  'resolvedAt',
];

interface RenderedPage {
  format: 'json' | 'csv';
  etag: string;
  body: string | Buffer;
  cursor: string;
  hasMore: boolean;
}

/** A page as JSON or CSV with a strong ETag: what is sent, and what the open-data cache keeps. */
function renderPage(
  format: 'json' | 'csv',
  page: { items: Array<Record<string, unknown>>; cursor: string; hasMore: boolean },
  json: Record<string, unknown>,
  columns: readonly string[],
): RenderedPage & { body: string } {
  // The ETag covers the data, not the cursor (whose horizon moves on every read): 304 means "the same
  // items as you have", and the cursor the client already holds stays good. The items are serialised
  // once, for the ETag and the JSON body both: a page can hold 50,000 of them.
  const itemsJson = JSON.stringify(page.items);
  const etag = `"${createHash('sha256')
    .update(`${format}\n${page.hasMore}\n`)
    .update(itemsJson)
    .digest('base64url')
    .slice(0, 32)}"`;
  const head = JSON.stringify(json).slice(0, -1);
  const body =
    format === 'csv'
      ? toCsv(
          columns,
          page.items.map((item) => {
            const names = item.name as { vi: string; en: string } | undefined;
            const message = item.message as { vi: string; en: string } | undefined;
            return {
              ...item,
              name_vi: names?.vi,
              name_en: names?.en,
              message_vi: message?.vi,
              message_en: message?.en,
            };
          }),
        )
      : `${head}${head.length > 1 ? ',' : ''}"items":${itemsJson},"cursor":${JSON.stringify(page.cursor)},"hasMore":${page.hasMore}}`;
  return { format, etag, body, cursor: page.cursor, hasMore: page.hasMore };
}

/** Sends a rendered page; a matching If-None-Match gets 304 and no body. */
function sendRendered(request: FastifyRequest, reply: FastifyReply, rendered: RenderedPage) {
  reply.header('etag', rendered.etag);
  if (request.headers['if-none-match'] === rendered.etag) return reply.code(304).send();
  reply.header('x-next-cursor', rendered.cursor);
  reply.header('x-has-more', String(rendered.hasMore));
  const csv = rendered.format === 'csv';
  reply.type(csv ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
  if (csv) reply.header('content-disposition', 'attachment; filename="ioc-feed.csv"');
  return reply.serializer((payload: unknown) => payload as string).send(rendered.body);
}

function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  format: 'json' | 'csv',
  page: { items: Array<Record<string, unknown>>; cursor: string; hasMore: boolean },
  json: Record<string, unknown>,
  columns: readonly string[],
) {
  return sendRendered(request, reply, renderPage(format, page, json, columns));
}

export async function feedRoutes(app: FastifyInstance, opts: FeedRouteOptions) {
  const { feeds, catalog } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const allowance = createKeyAllowance(opts.ratePerMinute);
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 429: ErrorBody };

  // A key's allowance; logged-in users (the console, an analyst) are not metered here.
  app.addHook('preHandler', async (request) => {
    if (!request.apiKey) return;
    const wait = allowance.take(request.apiKey.keyId);
    if (wait > 0) {
      throw new AppError(
        'RATE_LIMITED',
        `this API key may make ${opts.ratePerMinute} feed requests a minute; retry in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    }
  });

  const checkWard = (city: string, ward: string | undefined) => {
    if (ward && ward !== '*' && !catalog.hasWard(city, ward)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `${city} has no ward ${ward}; known: ${catalog.wardIds(city).join(', ')}`,
      );
    }
  };

  const IndicatorQuery = z
    .object({
      city: CityId,
      ward: z
        .string()
        .max(100)
        .optional()
        .describe('a ward id, or * for every ward; omitted: the whole city'),
      period: z.enum(periods).default('day'),
      from: Bound.optional().describe('start, inclusive: 2026-01-01 (local midnight) or an ISO time'),
      to: Bound.optional().describe('end, exclusive'),
      indicator: IndicatorList.optional(),
      group: z.enum(['key', 'sector']).optional(),
      format: Format,
      cursor: Cursor.optional(),
    })
    .strict();

  async function indicatorPage(query: z.infer<typeof IndicatorQuery>, open: boolean) {
    checkWard(query.city, query.ward);
    const request: IndicatorRequest = { ...query, open };
    return feeds.indicators(request);
  }

  r.get(
    '/feeds/indicators',
    {
      config: { role: 'feed' },
      schema: {
        tags: ['feeds'],
        summary: 'Indicators per city or ward and reporting period (local time), key and sector',
        description:
          'Send `x-api-key`. First read with `from` and `to`; then poll with the returned `cursor` to get ' +
          'the periods that changed since (a closed hour or day is published once, again only if late data ' +
          'changes it). `format=csv` gives UTF-8 CSV with a byte-order mark. Field meanings: docs/feeds.md.',
        security: [{ apiKey: [] }, { bearer: [] }],
        querystring: IndicatorQuery,
        response: { 200: IndicatorPage, ...errors },
      },
    },
    async (request, reply) => {
      const page = await indicatorPage(request.query, false);
      return sendPage(
        request,
        reply,
        request.query.format,
        page as never,
        { timezone: 'Asia/Ho_Chi_Minh' },
        indicatorColumns,
      );
    },
  );

  const AggregateQuery = z
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

  r.get(
    '/feeds/aggregates',
    {
      config: { role: 'feed' },
      schema: {
        tags: ['feeds'],
        summary:
          'Per-device hourly or daily count, mean, min, max and sum of every metric, for closed periods',
        description:
          'Without a cursor: every published period (narrow with `from`/`to`, which bound the period start). ' +
          'Follow `cursor` while `hasMore`; keep the last one and poll with it for periods published since.',
        security: [{ apiKey: [] }, { bearer: [] }],
        querystring: AggregateQuery,
        response: { 200: AggregatePage, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (q.city) checkWard(q.city, q.ward);
      const page = await feeds.aggregates(q);
      return sendPage(request, reply, q.format, page as never, {}, aggregateColumns);
    },
  );

  const AlertQuery = z
    .object({
      city: CityId.optional(),
      ward: z.string().max(100).optional(),
      kind: KindName.optional(),
      severity: z.enum(severities).optional(),
      from: Bound.optional().describe('alerts opened at or after'),
      to: Bound.optional(),
      limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
      format: Format,
      cursor: Cursor.optional(),
    })
    .strict();

  r.get(
    '/feeds/alerts',
    {
      config: { role: 'feed' },
      schema: {
        tags: ['feeds'],
        summary: 'Alerts in the order they were opened or changed; each change read once through the cursor',
        security: [{ apiKey: [] }, { bearer: [] }],
        querystring: AlertQuery,
        response: { 200: AlertPage, ...errors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (q.city) checkWard(q.city, q.ward);
      const page = await feeds.alerts(q);
      return sendPage(request, reply, q.format, page as never, {}, alertColumns);
    },
  );

  r.get(
    '/feeds/indicators/catalog',
    {
      config: { role: 'feed' },
      schema: {
        tags: ['feeds'],
        summary: 'Every indicator: names, description, unit, key or sector, how it aggregates',
        response: { 200: z.object({ items: z.array(z.record(z.string(), z.unknown())) }), ...errors },
      },
    },
    async () => ({ items: indicators.map((i) => ({ ...i })) }),
  );

  r.get(
    '/feeds/ngsi-ld/entities',
    {
      config: { role: 'feed' },
      schema: {
        tags: ['feeds'],
        summary: 'Latest observations as NGSI-LD entities (FIWARE Smart Data Models), for context brokers',
        querystring: z
          .object({
            type: z.enum(ngsiTypes),
            city: CityId.optional(),
            ward: z.string().max(100).optional(),
            limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
          })
          .strict(),
        response: { 200: z.array(z.record(z.string(), z.unknown())), ...errors },
      },
    },
    async (request, reply) => {
      if (request.query.city) checkWard(request.query.city, request.query.ward);
      reply.type('application/ld+json; charset=utf-8');
      return ngsiEntities(opts.pool, request.query);
    },
  );

  // API keys, for admins.
  const KeyRecord = z.object({
    id: z.number(),
    name: z.string(),
    prefix: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
  });
  const keyJson = (k: Awaited<ReturnType<Feeds['apiKeys']['list']>>[number]) => ({
    ...k,
    createdAt: k.createdAt.toISOString(),
    lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
    revokedAt: k.revokedAt?.toISOString() ?? null,
  });

  r.post(
    '/feeds/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['feeds'],
        summary: 'Create an API key for a machine client; the key is shown in this answer only',
        body: z.object({ name: z.string().trim().min(1).max(200) }).strict(),
        response: { 201: KeyRecord.extend({ key: z.string() }), ...errors },
      },
    },
    async (request, reply) => {
      const { key, record } = await feeds.apiKeys.create(request.body.name, request.principal!.username);
      return reply.code(201).send({ ...keyJson(record), key });
    },
  );

  r.get(
    '/feeds/keys',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['feeds'],
        summary: 'API keys (never the keys themselves)',
        response: { 200: z.object({ items: z.array(KeyRecord) }), ...errors },
      },
    },
    async () => ({ items: (await feeds.apiKeys.list()).map(keyJson) }),
  );

  r.delete(
    '/feeds/keys/:id',
    {
      config: { role: 'admin' },
      schema: {
        tags: ['feeds'],
        summary: 'Revoke an API key: it stops working at once',
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: { 200: KeyRecord, ...errors },
      },
    },
    async (request) => keyJson(await feeds.apiKeys.revoke(request.params.id, request.principal!.username)),
  );

  // Open data: anonymous, cached, off unless the city turns it on. Rendered pages are cached under the
  // parsed query (src/feeds/openCache.ts) within a byte budget; reads the cache cannot answer go through
  // a small gate, and identical ones in flight share one read.
  const openCacheMs = 300_000;
  const openCache = createByteCache<RenderedPage>(opts.openDataCacheBytes ?? 33_554_432, openCacheMs);
  const openConcurrency = opts.openDataConcurrency ?? 2;
  const openGate = createGate(openConcurrency, openConcurrency * 4);
  const openLoading = new Map<string, Promise<RenderedPage>>();
  const openGuard = () => {
    if (!opts.openData) {
      throw new AppError('NOT_FOUND', 'open data is off; the city turns it on with OPEN_DATA_ENABLED=true');
    }
  };
  async function cached(
    route: string,
    query: Record<string, unknown>,
    load: () => Promise<{ items: Array<Record<string, unknown>>; cursor: string; hasMore: boolean }>,
    json: Record<string, unknown>,
    columns: readonly string[],
  ): Promise<RenderedPage> {
    const counted = (result: 'hit' | 'shared' | 'read' | 'busy') =>
      opts.metrics?.openDataRequests.inc({ result });
    const key = normalisedKey(route, query);
    const hit = openCache.get(key);
    opts.metrics?.openDataCacheBytes.set(openCache.bytes);
    if (hit) {
      counted('hit');
      return hit;
    }
    const loading = openLoading.get(key);
    if (loading) {
      counted('shared');
      return loading;
    }
    const format = query.format as 'json' | 'csv';
    const promise = openGate
      .run(async () => {
        counted('read');
        const page = await load();
        const rendered = renderPage(format, page, json, columns);
        const kept = { ...rendered, body: Buffer.from(rendered.body) };
        // An empty page is not kept: the data may be a moment behind (see docs/feeds.md), not absent.
        if (page.items.length > 0) openCache.set(key, kept, kept.body.length + kept.cursor.length + 256);
        opts.metrics?.openDataCacheBytes.set(openCache.bytes);
        return kept;
      })
      .catch((error) => {
        if (error instanceof GateFull) {
          counted('busy');
          throw new AppError(
            'RATE_LIMITED',
            'open data is answering other requests; retry in a few seconds (cached pages are served at once)',
            { retryAfterSeconds: 5 },
          );
        }
        throw error;
      })
      .finally(() => openLoading.delete(key));
    openLoading.set(key, promise);
    return promise;
  }

  r.get(
    '/open/indicators',
    {
      config: { role: 'public' },
      schema: {
        tags: ['open data'],
        summary: 'Open data: city and ward indicators, without cameras or security details (if enabled)',
        security: [],
        querystring: IndicatorQuery,
        response: { 200: IndicatorPage, ...errors },
      },
    },
    async (request, reply) => {
      openGuard();
      const q = request.query;
      checkWard(q.city, q.ward);
      const rendered = await cached(
        'indicators',
        q,
        () => indicatorPage(q, true) as never,
        { timezone: 'Asia/Ho_Chi_Minh' },
        indicatorColumns,
      );
      reply.header('cache-control', 'public, max-age=300');
      return sendRendered(request, reply, rendered);
    },
  );

  r.get(
    '/open/aggregates',
    {
      config: { role: 'public' },
      schema: {
        tags: ['open data'],
        summary: 'Open data: per-device hourly or daily aggregates of sensors, without cameras (if enabled)',
        security: [],
        querystring: AggregateQuery,
        response: { 200: AggregatePage, ...errors },
      },
    },
    async (request, reply) => {
      openGuard();
      const q = request.query;
      if (q.city) checkWard(q.city, q.ward);
      const rendered = await cached(
        'aggregates',
        q,
        () => feeds.aggregates({ ...q, open: true }) as never,
        {},
        aggregateColumns,
      );
      reply.header('cache-control', 'public, max-age=300');
      return sendRendered(request, reply, rendered);
    },
  );
}
