// The province feeds over HTTP: indicators, aggregates and alerts for API keys (and logged-in users),
// JSON or CSV with ETags (feeds/paging.ts), NGSI-LD entities, the admins' key management, and the
// anonymous open-data endpoints when the city turns them on. Each is a module of feeds/; this one
// meters the keys over all of them and registers them in the order the OpenAPI document lists them.
import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../../catalog/index.ts';
import { AppError } from '../../errors.ts';
import type { Feeds } from '../../feeds/index.ts';
import { createKeyAllowance } from '../../feeds/rateLimit.ts';
import type { SharedLimitStore } from '../../limits/sharedStore.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { Pool } from '../../storage/pool.ts';
import { aggregateRoutes } from './feeds/aggregates.ts';
import { alertFeedRoutes } from './feeds/alerts.ts';
import { indicatorRoutes } from './feeds/indicators.ts';
import { apiKeyRoutes } from './feeds/keys.ts';
import { ngsiLdRoutes } from './feeds/ngsiLd.ts';
import { openDataRoutes } from './feeds/openData.ts';

export interface FeedRouteOptions {
  feeds: Feeds;
  pool: Pool;
  catalog: Catalog;
  ratePerMinute: number;
  /** Where the per-key allowance is shared with the other instances (REDIS_URL). */
  shared?: SharedLimitStore;
  openData: boolean;
  /** Bytes of rendered open-data pages kept (OPEN_DATA_CACHE_BYTES). */
  openDataCacheBytes?: number;
  /** Open-data reads on the database at once (OPEN_DATA_CONCURRENCY); four times as many may wait. */
  openDataConcurrency?: number;
  metrics?: Metrics;
}

export async function feedRoutes(app: FastifyInstance, opts: FeedRouteOptions) {
  const { feeds, catalog } = opts;
  const allowance = createKeyAllowance(opts.ratePerMinute, Date.now, opts.shared);

  // A key's allowance; logged-in users (the console, an analyst) are not metered here. Added before
  // the routes are registered, so it covers every one of them.
  app.addHook('preHandler', async (request) => {
    if (!request.apiKey) return;
    const wait = await allowance.take(request.apiKey.keyId);
    if (wait > 0) {
      throw new AppError(
        'RATE_LIMITED',
        `this API key may make ${opts.ratePerMinute} feed requests a minute; retry in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    }
  });

  await app.register(indicatorRoutes, { feeds, catalog });
  await app.register(aggregateRoutes, { feeds, catalog });
  await app.register(alertFeedRoutes, { feeds, catalog });
  await app.register(ngsiLdRoutes, { pool: opts.pool, catalog });
  await app.register(apiKeyRoutes, { apiKeys: feeds.apiKeys });
  await app.register(openDataRoutes, {
    feeds,
    catalog,
    enabled: opts.openData,
    cacheBytes: opts.openDataCacheBytes,
    concurrency: opts.openDataConcurrency,
    metrics: opts.metrics,
  });
}
