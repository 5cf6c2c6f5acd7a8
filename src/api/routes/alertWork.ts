// Working an alert: assign it (or take it), unassign, add notes, read its timeline and its context,
// and acknowledge many at once in a storm. Operators and admins act; every role reads; each within
// their scope, outside which an alert does not exist for them.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AlertContextWire } from '../../alerts/context.ts';
import type { Alerts } from '../../alerts/index.ts';
import { severities } from '../../alerts/rules.ts';
import { TimelineEntryWire } from '../../alerts/timeline.ts';
import { AlertNoteWire, AlertWire, alertWire, noteWire } from '../../alerts/wire.ts';
import { maxBulkAcknowledge } from '../../alerts/workflow.ts';
import { inScope, type Scope } from '../../auth/scope.ts';
import type { Catalog } from '../../catalog/index.ts';
import { CityId, KindName } from '../../catalog/schema.ts';
import { AppError } from '../../errors.ts';
import type { AlertQueries, AlertRecord } from '../../storage/alerts.ts';
import { callerScope } from '../plugins/roles.ts';
import { ErrorBody } from '../schemas.ts';

const tags = ['alerts'];
const IdParams = z.object({ id: z.coerce.number().int().positive() });
const Note = z.string().min(1).max(2_000);

const AssignBody = z
  .object({
    assignee: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe("an operator's or admin's username; omitted or `me`: the caller takes it"),
    note: Note.optional(),
  })
  .strict()
  .default({});

const BulkBody = z
  .object({
    ids: z.array(z.number().int().positive()).min(1).max(maxBulkAcknowledge).optional(),
    filter: z
      .object({
        city: CityId.optional(),
        ward: z.string().max(64).optional(),
        kind: KindName.optional(),
        severity: z.enum(severities).optional(),
      })
      .strict()
      .refine(
        (f) => Object.values(f).some((v) => v !== undefined),
        'name at least one of city, ward, kind, severity',
      )
      .optional()
      .describe('the open alerts matching every field given, oldest first'),
    note: Note.optional(),
  })
  .strict()
  .refine((b) => (b.ids === undefined) !== (b.filter === undefined), 'give either ids or filter, not both');

const BulkResult = z.object({
  acknowledged: z
    .array(z.number())
    .describe('the ids acknowledged now, each announced as its own transition'),
  failed: z
    .array(
      z.object({
        id: z.number(),
        code: z.enum(['NOT_FOUND', 'CONFLICT']),
        state: z.enum(['open', 'acknowledged', 'resolved']).nullable(),
        message: z.object({ vi: z.string(), en: z.string() }),
      }),
    )
    .describe('the ids given that were not open, and why; nothing else was left out'),
  remaining: z
    .number()
    .describe(
      `with a filter: open alerts still matching it (beyond ${maxBulkAcknowledge} at a time); else 0`,
    ),
});

/** The alert, if it exists within `scope`; else 404, the same answer as for an id that never existed. */
export async function findAlert(queries: AlertQueries, id: number, scope: Scope): Promise<AlertRecord> {
  const alert = await queries.get(id);
  if (!alert || !inScope(scope, alert)) throw new AppError('NOT_FOUND', `alert ${id} does not exist`);
  return alert;
}

/** Before an action: the global scope needs no read, a scoped caller's alert must be theirs. */
export async function checkAlertInScope(queries: AlertQueries, id: number, scope: Scope): Promise<void> {
  if (!scope.all) await findAlert(queries, id, scope);
}

const minutes = (max: number, byDefault: number) =>
  z.coerce.number().int().min(0).max(max).default(byDefault);

export async function alertWorkRoutes(app: FastifyInstance, opts: { alerts: Alerts; catalog: Catalog }) {
  const { workflow, queries } = opts.alerts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

  r.post(
    '/alerts/:id/assign',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'assignAlert',
        summary: 'Giao hoặc nhận xử lý cảnh báo / Assign an alert, or take it',
        description:
          'Giao cho người vận hành hoặc quản trị đang hoạt động; không ghi `assignee` là tự nhận. Giao lại ' +
          'cho chính người đang giữ thì không đổi gì. / Give it to an enabled operator or admin; without ' +
          '`assignee` the caller takes it. Giving it to whoever has it changes nothing.',
        tags,
        params: IdParams,
        body: AssignBody,
        response: { 200: AlertWire, ...errors },
      },
    },
    async (request) => {
      const actor = request.principal!.username;
      const { assignee = 'me', note } = request.body;
      const place = await findAlert(queries, request.params.id, callerScope(request));
      const alert = await workflow.assign(
        request.params.id,
        assignee === 'me' ? actor : assignee,
        actor,
        note ?? null,
        place,
      );
      return alertWire(alert);
    },
  );

  r.post(
    '/alerts/:id/unassign',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'unassignAlert',
        summary: 'Thôi giao cảnh báo / Unassign an alert',
        tags,
        params: IdParams,
        body: z.object({ note: Note.optional() }).strict().default({}),
        response: { 200: AlertWire, ...errors },
      },
    },
    async (request) => {
      const actor = request.principal!.username;
      await checkAlertInScope(queries, request.params.id, callerScope(request));
      return alertWire(await workflow.unassign(request.params.id, actor, request.body.note ?? null));
    },
  );

  r.post(
    '/alerts/:id/notes',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'addAlertNote',
        summary: 'Thêm ghi chú vào cảnh báo / Add a note to an alert',
        description: 'Ở mọi trạng thái; không gửi qua webhook. / In any state; not sent to webhooks.',
        tags,
        params: IdParams,
        body: z.object({ text: Note }).strict(),
        response: { 201: z.object({ alert: AlertWire, note: AlertNoteWire }), ...errors },
      },
    },
    async (request, reply) => {
      const author = request.principal!.username;
      await checkAlertInScope(queries, request.params.id, callerScope(request));
      const { alert, note } = await workflow.addNote(request.params.id, author, request.body.text);
      return reply.code(201).send({ alert: alertWire(alert), note: noteWire(note) });
    },
  );

  r.get(
    '/alerts/:id/timeline',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getAlertTimeline',
        summary: 'Dòng thời gian của cảnh báo / An alert’s timeline',
        description:
          'Mọi bước theo thứ tự thời gian: mở, xác nhận, giao, ghi chú, đóng, và (với người vận hành, quản ' +
          'trị) các thông báo đã gửi. / Every step in time order: opened, acknowledged, assigned, notes, ' +
          'resolved, and (for operators and admins) the notifications sent.',
        tags,
        params: IdParams,
        response: { 200: z.object({ alertId: z.number(), items: z.array(TimelineEntryWire) }), ...errors },
      },
    },
    async (request) => {
      const alert = await findAlert(queries, request.params.id, callerScope(request));
      // The delivery log is the operators' (GET /notifications/deliveries): viewers see the rest.
      const notifications = request.principal!.role !== 'viewer';
      return { alertId: alert.id, items: await opts.alerts.timeline(alert.id, { notifications }) };
    },
  );

  r.get(
    '/alerts/:id/context',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getAlertContext',
        summary: 'Bối cảnh của cảnh báo / An alert’s context',
        description:
          'Các thiết bị cùng cột, camera gần nhất (trạng thái, thông điệp trạng thái cuối, số đo mới nhất) ' +
          'và số đo của thiết bị quanh lúc cảnh báo mở. / The devices on the same pole, the nearest cameras ' +
          "(state, last status message, latest values) and the device's readings around the moment the " +
          'alert opened.',
        tags,
        params: IdParams,
        querystring: z.object({
          beforeMin: minutes(24 * 60, 60).describe('minutes of readings before the alert opened'),
          afterMin: minutes(24 * 60, 30).describe('minutes of readings after it opened'),
          cameras: z.coerce.number().int().min(0).max(20).default(5),
          radiusM: z.coerce.number().int().min(1).max(20_000).default(2_000),
        }),
        response: { 200: AlertContextWire, ...errors },
      },
    },
    async (request) => {
      const scope = callerScope(request);
      const context = await opts.alerts.context(
        await findAlert(queries, request.params.id, scope),
        request.query,
      );
      // Its neighbours across a boundary are shown only to those who reach them.
      if (scope.all) return context;
      return {
        ...context,
        pole: { ...context.pole, devices: context.pole.devices.filter((d) => inScope(scope, d)) },
        cameras: context.cameras.filter((c) => inScope(scope, c)),
      };
    },
  );

  r.post(
    '/alerts/acknowledge',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'acknowledgeAlerts',
        summary: 'Xác nhận nhiều cảnh báo / Acknowledge many alerts',
        description:
          `Theo danh sách mã hoặc bộ lọc (tối đa ${maxBulkAcknowledge} mỗi lần), trong một câu lệnh: tất cả ` +
          'hoặc không cái nào. Mã không mở được trả về trong `failed`. / By ids or a filter (at most ' +
          `${maxBulkAcknowledge} at a time), in one statement: all or none. Ids that were not open come ` +
          'back in `failed`.',
        tags,
        body: BulkBody,
        response: { 200: BulkResult, ...errors },
      },
    },
    async (request) => {
      const { ids, filter, note } = request.body;
      // A former unit's id (before 1 July 2025) names the unit it went into (docs/places.md).
      const selection =
        filter?.ward === undefined
          ? filter
          : { ...filter, ward: opts.catalog.currentWard(filter.city, filter.ward) };
      const result = await workflow.acknowledgeMany({
        ids,
        selection,
        actor: request.principal!.username,
        note: note ?? null,
        scope: callerScope(request),
      });
      return { ...result, acknowledged: result.acknowledged.map((a) => a.id) };
    },
  );
}
