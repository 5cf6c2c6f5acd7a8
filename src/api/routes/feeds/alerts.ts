// Alerts by change: each alert when it opens and again on every change, read once through the cursor,
// in the public shape of src/alerts/wire.ts.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { severities } from '../../../alerts/rules.ts';
import { PublicAlertWire } from '../../../alerts/wire.ts';
import type { Catalog } from '../../../catalog/index.ts';
import { CityId, KindName } from '../../../catalog/schema.ts';
import type { Feeds } from '../../../feeds/index.ts';
import { feedPageResponses } from '../../openapi/responses.ts';
import { callerScope } from '../../plugins/roles.ts';
import { sendPage } from './paging.ts';
import { Bound, Cursor, Format, feedErrors, feedScope, wardCheck } from './query.ts';

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

const AlertPage = z
  .object({ items: z.array(PublicAlertWire), cursor: z.string(), hasMore: z.boolean() })
  .meta({
    example: {
      items: [
        {
          id: 4182,
          ruleId: 1,
          ruleName: 'Báo cháy / Fire alarm',
          deviceId: 'ha-ma-fire-0006',
          kind: 'fire',
          city: 'hoi-an',
          ward: 'phuong-hoi-an',
          wardName: 'Hội An',
          severity: 'critical',
          state: 'acknowledged',
          message: {
            vi: 'Báo cháy tại Cảm biến cháy – Nguyễn Thái Học (Hội An)',
            en: 'Fire alarm at Fire sensor – Nguyễn Thái Học (Hội An)',
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

export async function alertFeedRoutes(app: FastifyInstance, opts: { feeds: Feeds; catalog: Catalog }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const checkWard = wardCheck(opts.catalog);

  r.get(
    '/feeds/alerts',
    {
      config: { role: 'feed' },
      schema: {
        operationId: 'getAlertFeed',
        summary: 'Cảnh báo theo thứ tự mở hoặc thay đổi / Alerts in the order opened or changed',
        description:
          'Mỗi thay đổi được đọc một lần qua `cursor`. / Each change is read once through the cursor.',
        tags: ['feeds'],
        querystring: AlertQuery,
        response: { ...feedPageResponses(AlertPage), ...feedErrors },
      },
    },
    async (request, reply) => {
      const q = request.query;
      if (q.city) checkWard(q.city, q.ward);
      const page = await opts.feeds.alerts({ ...q, scope: feedScope(callerScope(request)) });
      return sendPage(request, reply, q.format, page, {}, alertColumns);
    },
  );
}
