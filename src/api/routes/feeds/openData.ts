// Open data: the indicators and aggregates for anyone, off unless the city turns it on
// (OPEN_DATA_ENABLED), without cameras or security details. Rendered pages are cached under the
// parsed query (src/feeds/openCache.ts) within a byte budget; reads the cache cannot answer go through
// a small gate, and identical ones in flight share one read.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Catalog } from '../../../catalog/index.ts';
import { AppError } from '../../../errors.ts';
import type { Feeds } from '../../../feeds/index.ts';
import { createByteCache, createGate, GateFull, normalisedKey } from '../../../feeds/openCache.ts';
import type { Metrics } from '../../../metrics/index.ts';
import { feedPageResponses } from '../../openapi/responses.ts';
import { AggregatePage, AggregateQuery, aggregateColumns } from './aggregates.ts';
import {
  IndicatorPage,
  IndicatorQuery,
  indicatorColumns,
  indicatorPageHead,
  readIndicators,
} from './indicators.ts';
import { type PageData, type PageFormat, type RenderedPage, renderPage, sendRendered } from './paging.ts';
import { openDataErrors, wardCheck } from './query.ts';

export interface OpenDataOptions {
  feeds: Feeds;
  catalog: Catalog;
  enabled: boolean;
  /** Bytes of rendered pages kept (OPEN_DATA_CACHE_BYTES). */
  cacheBytes?: number;
  /** Reads on the database at once (OPEN_DATA_CONCURRENCY); four times as many may wait. */
  concurrency?: number;
  metrics?: Metrics;
}

const cacheMs = 300_000;

export async function openDataRoutes(app: FastifyInstance, opts: OpenDataOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { feeds, metrics } = opts;
  const checkWard = wardCheck(opts.catalog);
  const readIndicatorPage = readIndicators(feeds, checkWard);
  const cache = createByteCache<RenderedPage>(opts.cacheBytes ?? 33_554_432, cacheMs);
  const concurrency = opts.concurrency ?? 2;
  const gate = createGate(concurrency, concurrency * 4);
  const loading = new Map<string, Promise<RenderedPage>>();
  const guard = () => {
    if (!opts.enabled) {
      throw new AppError('NOT_FOUND', 'open data is off; the city turns it on with OPEN_DATA_ENABLED=true');
    }
  };

  async function cached(
    route: string,
    query: Record<string, unknown>,
    load: () => Promise<PageData>,
    json: Record<string, unknown>,
    columns: readonly string[],
  ): Promise<RenderedPage> {
    const counted = (result: 'hit' | 'shared' | 'read' | 'busy') => metrics?.openDataRequests.inc({ result });
    const key = normalisedKey(route, query);
    const hit = cache.get(key);
    metrics?.openDataCacheBytes.set(cache.bytes);
    if (hit) {
      counted('hit');
      return hit;
    }
    const inFlight = loading.get(key);
    if (inFlight) {
      counted('shared');
      return inFlight;
    }
    const format = query.format as PageFormat;
    const promise = gate
      .run(async () => {
        counted('read');
        const page = await load();
        const rendered = renderPage(format, page, json, columns);
        const kept = { ...rendered, body: Buffer.from(rendered.body) };
        // An empty page is not kept: the data may be a moment behind (see docs/feeds.md), not absent.
        if (page.items.length > 0) cache.set(key, kept, kept.body.length + kept.cursor.length + 256);
        metrics?.openDataCacheBytes.set(cache.bytes);
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
      .finally(() => loading.delete(key));
    loading.set(key, promise);
    return promise;
  }

  r.get(
    '/open/indicators',
    {
      config: { role: 'public' },
      schema: {
        operationId: 'getOpenIndicators',
        summary: 'Dữ liệu mở: chỉ tiêu theo địa bàn và phường / Open data: city and ward indicators',
        description:
          'Không có camera hay chi tiết an ninh; 404 khi thành phố chưa bật (OPEN_DATA_ENABLED). / ' +
          'Without cameras or security details; 404 unless the city turns it on (OPEN_DATA_ENABLED).',
        tags: ['open data'],
        querystring: IndicatorQuery,
        response: { ...feedPageResponses(IndicatorPage, { cached: true }), ...openDataErrors },
      },
    },
    async (request, reply) => {
      guard();
      const q = request.query;
      checkWard(q.city, q.ward);
      const rendered = await cached(
        'indicators',
        q,
        () => readIndicatorPage(q, true),
        indicatorPageHead,
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
        operationId: 'getOpenAggregates',
        summary:
          'Dữ liệu mở: thống kê theo giờ hoặc ngày của cảm biến / Open data: hourly or daily sensor aggregates',
        description:
          'Từng thiết bị, không có camera; 404 khi thành phố chưa bật (OPEN_DATA_ENABLED). / ' +
          'Per device, without cameras; 404 unless the city turns it on (OPEN_DATA_ENABLED).',
        tags: ['open data'],
        querystring: AggregateQuery,
        response: { ...feedPageResponses(AggregatePage, { cached: true }), ...openDataErrors },
      },
    },
    async (request, reply) => {
      guard();
      const q = request.query;
      if (q.city) checkWard(q.city, q.ward);
      const rendered = await cached(
        'aggregates',
        q,
        () => feeds.aggregates({ ...q, open: true }),
        {},
        aggregateColumns,
      );
      reply.header('cache-control', 'public, max-age=300');
      return sendRendered(request, reply, rendered);
    },
  );
}
