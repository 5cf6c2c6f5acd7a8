// Alert rules and webhooks: read by every role, changed by admins. A change takes effect at once; a
// rule's form can be tried on the stored history first (./ruleDryRun.ts).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Alerts } from '../../alerts/index.ts';
import { RuleInput, severities } from '../../alerts/rules.ts';
import type { Catalog } from '../../catalog/index.ts';
import { KindName } from '../../catalog/schema.ts';
import { AppError } from '../../errors.ts';
import type { EventBus } from '../../events/bus.ts';
import { checkRuleKind } from '../../profiles/rules.ts';
import { ErrorBody } from '../schemas.ts';
import { ruleDryRunRoutes } from './ruleDryRun.ts';
import { bilingualValidation, mergeRule, RuleBody, RuleChanges, ruleAnswer } from './ruleForms.ts';

const WebhookBody = z.object({
  id: z.number(),
  name: z.string(),
  url: z.string(),
  secret: z.literal('[set]'),
  severities: z.array(z.string()),
  kinds: z.array(z.string()).nullable(),
  enabled: z.boolean(),
});
const DeliveryBody = z.object({
  id: z.number(),
  alertId: z.number(),
  action: z.string(),
  state: z.string(),
  attempts: z.number(),
  nextAttemptAt: z.string(),
  lastStatus: z.number().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

const ruleForm =
  'Một mẫu cho mỗi loại quy tắc (type); lỗi nêu tên trường, bằng tiếng Việt và tiếng Anh. / ' +
  'One form per rule type (type); each refusal names its field, in Vietnamese and English.';

export async function ruleRoutes(
  app: FastifyInstance,
  opts: { alerts: Alerts; bus: EventBus; catalog: Catalog },
) {
  const { queries, webhookQueries } = opts.alerts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
  const IdParams = z.object({ id: z.coerce.number().int().positive() });
  const changed = () => opts.bus.emit('rulesChanged');
  const stored = async (id: number) => {
    const rule = await queries.rule(id);
    if (!rule) throw new AppError('NOT_FOUND', `rule ${id} does not exist`);
    return rule;
  };

  r.get(
    '/rules',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'listRules',
        summary: 'Danh sách quy tắc cảnh báo / List alert rules',
        tags: ['rules'],
        response: { 200: z.object({ items: z.array(RuleBody) }), ...errors },
      },
    },
    async () => ({ items: (await queries.rules()).map(ruleAnswer) }),
  );

  r.get(
    '/rules/:id',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getRule',
        summary: 'Một quy tắc cảnh báo / An alert rule',
        tags: ['rules'],
        params: IdParams,
        response: { 200: RuleBody, ...errors },
      },
    },
    async (request) => ruleAnswer(await stored(request.params.id)),
  );

  r.post(
    '/rules',
    {
      config: { role: 'admin' },
      validatorCompiler: bilingualValidation,
      schema: {
        operationId: 'createRule',
        summary: 'Tạo quy tắc cảnh báo / Create an alert rule',
        description: `Có hiệu lực ngay. / Takes effect at once. ${ruleForm}`,
        tags: ['rules'],
        body: RuleInput,
        response: { 201: RuleBody, ...errors },
      },
    },
    async (request, reply) => {
      checkRuleKind(opts.catalog, request.body);
      const rule = await queries.createRule({ ...request.body, key: undefined });
      changed();
      return reply.code(201).send(ruleAnswer(rule));
    },
  );

  r.put(
    '/rules/:id',
    {
      config: { role: 'admin' },
      validatorCompiler: bilingualValidation,
      schema: {
        operationId: 'replaceRule',
        summary: 'Thay toàn bộ quy tắc (lưu mẫu) / Replace a whole rule (save a form)',
        description: `Quy tắc mặc định giữ khoá của nó. / A shipped default keeps its key. ${ruleForm}`,
        tags: ['rules'],
        params: IdParams,
        body: RuleInput,
        response: { 200: RuleBody, ...errors },
      },
    },
    async (request) => {
      const current = await stored(request.params.id);
      if (request.body.key !== undefined && request.body.key !== current.key)
        throw new AppError(
          'VALIDATION_FAILED',
          'body.key: không đổi được khoá / body.key: cannot be changed',
        );
      checkRuleKind(opts.catalog, request.body);
      const rule = await queries.replaceRule(current.id, { ...request.body, key: current.key ?? undefined });
      if (!rule) throw new AppError('NOT_FOUND', `rule ${request.params.id} does not exist`);
      changed();
      return ruleAnswer(rule);
    },
  );

  r.patch(
    '/rules/:id',
    {
      config: { role: 'admin' },
      validatorCompiler: bilingualValidation,
      schema: {
        operationId: 'updateRule',
        summary: 'Sửa một số trường của quy tắc / Change some fields of a rule',
        description:
          'Quy tắc mặc định giữ khoá của nó, nên khởi động lại không xoá thay đổi. / ' +
          'A shipped default keeps its key, so restarts do not undo the edit. ' +
          ruleForm,
        tags: ['rules'],
        params: IdParams,
        body: RuleChanges,
        response: { 200: RuleBody, ...errors },
      },
    },
    async (request) => {
      const current = await stored(request.params.id);
      const merged = mergeRule(current, request.body);
      checkRuleKind(opts.catalog, merged);
      const rule = await queries.replaceRule(current.id, merged);
      if (!rule) throw new AppError('NOT_FOUND', `rule ${request.params.id} does not exist`);
      changed();
      return ruleAnswer(rule);
    },
  );

  r.delete(
    '/rules/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'deleteRule',
        summary: 'Xoá quy tắc cảnh báo / Delete an alert rule',
        tags: ['rules'],
        params: IdParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      if (!(await queries.deleteRule(request.params.id)))
        throw new AppError('NOT_FOUND', `rule ${request.params.id} does not exist`);
      changed();
      return reply.code(204).send(null);
    },
  );

  ruleDryRunRoutes(app, { alerts: opts.alerts, catalog: opts.catalog, stored });

  // Every field bounded: the row is read on each delivery, and the secret is hashed into each signature.
  const WebhookInput = z
    .object({
      name: z.string().min(1).max(200),
      url: z
        .string()
        .max(2_048)
        .url()
        .superRefine((u, ctx) => {
          // What is known without DNS is refused here; a name resolving to an internal address is
          // refused at each delivery instead (its DNS answer may change after creation).
          const refusal = opts.alerts.outboundPolicy.refusal(u);
          if (refusal) ctx.addIssue({ code: 'custom', message: refusal });
        }),
      secret: z
        .string()
        .min(16, 'at least 16 characters: it signs every delivery')
        .max(256, 'at most 256 characters'),
      severities: z.array(z.enum(severities)).min(1).max(severities.length).default(['warning', 'critical']),
      kinds: z.array(KindName).min(1).max(100).optional(),
      enabled: z.boolean().default(true),
    })
    .strict();
  const hide = <T extends { secret: string }>(w: T) => ({ ...w, secret: '[set]' as const });

  r.get(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listWebhooks',
        summary: 'Danh sách webhook / List webhooks',
        description: 'Không bao giờ hiện khoá bí mật. / Never shows the secret.',
        tags: ['webhooks'],
        response: { 200: z.object({ items: z.array(WebhookBody) }), ...errors },
      },
    },
    async () => ({
      items: (await webhookQueries.list()).map(hide),
    }),
  );

  r.post(
    '/webhooks',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'createWebhook',
        summary: 'Tạo webhook / Create a webhook',
        description:
          'Mỗi lần gửi được ký bằng khoá bí mật; địa chỉ nội bộ bị từ chối. / ' +
          'Every delivery is signed with the secret; internal addresses are refused.',
        tags: ['webhooks'],
        body: WebhookInput,
        response: { 201: WebhookBody, ...errors },
      },
    },
    async (request, reply) => {
      const w = await webhookQueries.create({ ...request.body, kinds: request.body.kinds ?? null });
      return reply.code(201).send(hide(w));
    },
  );

  r.delete(
    '/webhooks/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'deleteWebhook',
        summary: 'Xoá webhook / Delete a webhook',
        tags: ['webhooks'],
        params: IdParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      if (!(await webhookQueries.remove(request.params.id)))
        throw new AppError('NOT_FOUND', `webhook ${request.params.id} does not exist`);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/webhooks/:id/deliveries',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listWebhookDeliveries',
        summary: 'Nhật ký gửi của webhook / A webhook’s delivery log',
        description: 'Mới nhất trước. / Newest first.',
        tags: ['webhooks'],
        params: IdParams,
        response: { 200: z.object({ items: z.array(DeliveryBody) }), ...errors },
      },
    },
    async (request) => ({
      items: (await webhookQueries.deliveries(request.params.id, 200)).map((d) => ({
        id: d.id,
        alertId: d.alertId,
        action: d.action,
        state: d.state,
        attempts: d.attempts,
        nextAttemptAt: d.nextAttemptAt.toISOString(),
        lastStatus: d.lastStatus,
        lastError: d.lastError,
        createdAt: d.createdAt.toISOString(),
        deliveredAt: d.deliveredAt ? d.deliveredAt.toISOString() : null,
      })),
    }),
  );
}
