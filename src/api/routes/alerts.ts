// Alerts for operators: list with filters, one with its history and its rule's instructions,
// acknowledge, resolve, and a summary per ward and kind that keeps an alert storm readable. Working an
// alert (assignment, notes, timeline, context, bulk acknowledgement) is in ./alertWork.ts. Each within
// the caller's scope: lists filter, an alert outside it is not found.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Alerts } from '../../alerts/index.ts';
import { RuleInstructions, severities } from '../../alerts/rules.ts';
import { AlertWire, alertWire } from '../../alerts/wire.ts';
import type { Catalog } from '../../catalog/index.ts';
import { CityId, KindName } from '../../catalog/schema.ts';
import { callerScope } from '../plugins/roles.ts';
import { ErrorBody, TimeParam } from '../schemas.ts';
import { alertWorkRoutes, checkAlertInScope, findAlert } from './alertWork.ts';

export async function alertRoutes(app: FastifyInstance, opts: { alerts: Alerts; catalog: Catalog }) {
  const { queries, lifecycle } = opts.alerts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };
  const IdParams = z.object({ id: z.coerce.number().int().positive() });
  const NoteBody = z
    .object({ note: z.string().max(2_000).optional() })
    .strict()
    .default({});

  r.get(
    '/alerts',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'listAlerts',
        summary: 'Danh sách cảnh báo / List alerts',
        description:
          'Mới nhất trước; trang sau bằng `before` (mã cuối của trang trước). / ' +
          'Newest first; page with `before` (the last id of the previous page).',
        tags: ['alerts'],
        querystring: z.object({
          state: z
            .enum(['open', 'acknowledged', 'resolved', 'active'])
            .optional()
            .describe('active = open or acknowledged'),
          severity: z.enum(severities).optional(),
          city: CityId.optional(),
          ward: z.string().max(64).optional(),
          kind: KindName.optional(),
          deviceId: z.string().max(64).optional(),
          assignee: z
            .string()
            .min(1)
            .max(64)
            .optional()
            .describe('a username, or `me`: the alerts assigned to them'),
          assigned: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional()
            .describe('false: the alerts nobody has taken yet'),
          from: TimeParam.optional(),
          to: TimeParam.optional(),
          before: z.coerce.number().int().positive().optional(),
          limit: z.coerce.number().int().min(1).max(1_000).default(100),
        }),
        response: {
          200: z.object({ items: z.array(AlertWire), nextBefore: z.number().nullable() }),
          ...errors,
        },
      },
    },
    async (request) => {
      // A former unit's id (before 1 July 2025) lists the unit it went into (docs/places.md).
      const { ward, city, assignee } = request.query;
      const rows = await queries.list({
        ...request.query,
        ward: ward && opts.catalog.currentWard(city, ward),
        assignee: assignee === 'me' ? request.principal!.username : assignee,
        scope: callerScope(request),
      });
      const last = rows.at(-1);
      return {
        items: rows.map(alertWire),
        nextBefore: rows.length === request.query.limit && last ? last.id : null,
      };
    },
  );

  r.get(
    '/alerts/summary',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'summariseAlerts',
        summary: 'Cảnh báo đang mở theo nhóm / Active alerts grouped',
        description: 'Theo địa bàn, phường, loại và mức độ. / Per city, ward, kind and severity.',
        tags: ['alerts'],
        response: {
          200: z.object({
            groups: z.array(
              z.object({
                city: z.string(),
                ward: z.string(),
                kind: z.string(),
                severity: z.string(),
                open: z.number(),
                acknowledged: z.number(),
                oldest: z.string(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => ({
      groups: (await queries.summary(callerScope(request))).map((g) => ({
        ...g,
        oldest: g.oldest.toISOString(),
      })),
    }),
  );

  r.get(
    '/alerts/:id',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getAlert',
        summary: 'Một cảnh báo, lịch sử và hướng dẫn xử lý / An alert with its history and instructions',
        description:
          'Đường dẫn mở cảnh báo trên bảng điều khiển: `/#alert=<id>`. / The console opens an alert at ' +
          '`/#alert=<id>`.',
        tags: ['alerts'],
        params: IdParams,
        response: {
          200: AlertWire.extend({
            instructions: RuleInstructions.nullable().describe("the rule's instructions as they are now"),
            history: z.array(
              z.object({
                at: z.string(),
                action: z.string(),
                actor: z.string(),
                note: z.string().nullable(),
                assignee: z.string().nullable(),
              }),
            ),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const alert = await findAlert(queries, request.params.id, callerScope(request));
      const [history, rule] = await Promise.all([queries.history(alert.id), queries.rule(alert.ruleId)]);
      return {
        ...alertWire(alert),
        instructions: rule?.instructions ?? null,
        history: history.map((h) => ({ ...h, at: h.at.toISOString() })),
      };
    },
  );

  for (const [path, action] of [
    ['ack', 'acknowledge'],
    ['resolve', 'resolve'],
  ] as const) {
    r.post(
      `/alerts/:id/${path}`,
      {
        config: { role: 'operator' },
        schema: {
          operationId: action === 'acknowledge' ? 'acknowledgeAlert' : 'resolveAlert',
          summary:
            action === 'acknowledge'
              ? 'Xác nhận cảnh báo, kèm ghi chú / Acknowledge an open alert, with a note'
              : 'Đóng cảnh báo, kèm ghi chú / Close an alert, with a note',
          tags: ['alerts'],
          params: IdParams,
          body: NoteBody,
          response: { 200: AlertWire, ...errors },
        },
      },
      async (request) => {
        const actor = request.principal!.username;
        await checkAlertInScope(queries, request.params.id, callerScope(request));
        const alert = await lifecycle[action](request.params.id, actor, request.body.note ?? null);
        return alertWire(alert);
      },
    );
  }

  await app.register(alertWorkRoutes, opts);
}
