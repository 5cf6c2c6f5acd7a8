// Notifications: admins manage channels, contacts, on-call schedules and escalation policies, and send a
// test message through a channel; operators read the delivery log. A channel's secrets are write-only:
// answers say which are set, never what they are; recipients in the log are masked.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { OutboundPolicy } from '../../net/outbound.ts';
import type { Notifications } from '../../notifications/index.ts';
import { onCall } from '../../notifications/schedule.ts';
import {
  ChannelInput,
  ChannelPatch,
  ContactInput,
  channelTypes,
  PolicyInput,
  parseChannel,
  ScheduleInput,
} from '../../notifications/schemas.ts';
import type { ChannelRow, DeliveryRow, PolicyRow } from '../../storage/notifications.ts';
import { callerScope } from '../plugins/roles.ts';
import { ErrorBody, TimeParam } from '../schemas.ts';

const ChannelBody = z.object({
  id: z.number(),
  name: z.string(),
  type: z.enum(channelTypes),
  settings: z.record(z.string(), z.unknown()),
  secrets: z
    .record(z.string(), z.literal('[set]'))
    .describe('which secrets are set; their values are never shown'),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const ContactBody = ContactInput.extend({ id: z.number() });
const ScheduleBody = ScheduleInput.extend({ id: z.number() });
const PolicyBody = z.object({
  id: z.number(),
  name: z.string(),
  city: z.string().nullable(),
  severities: z.array(z.string()),
  steps: z.array(
    z.object({
      afterMinutes: z.number(),
      scheduleIds: z.array(z.number()),
      contactIds: z.array(z.number()),
      channelIds: z.array(z.number()),
    }),
  ),
  quietHours: z.object({ start: z.string(), end: z.string(), action: z.enum(['hold', 'skip']) }).nullable(),
  notifyOnClose: z.boolean(),
  enabled: z.boolean(),
  createdAt: z.string(),
});
const DeliveryBody = z.object({
  id: z.number(),
  alertId: z.number().nullable().describe('null: a test message'),
  policyId: z.number().nullable(),
  step: z.number().nullable(),
  event: z.string(),
  channelId: z.number(),
  channelType: z.string(),
  contactId: z.number().nullable(),
  recipient: z.string().describe('masked'),
  status: z.string(),
  attempts: z.number(),
  nextAttemptAt: z.string(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});

const channelJson = (c: ChannelRow): z.infer<typeof ChannelBody> => ({
  id: c.id,
  name: c.name,
  type: c.type,
  settings: c.settings,
  secrets: Object.fromEntries(Object.keys(c.secrets).map((k) => [k, '[set]' as const])),
  enabled: c.enabled,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
const policyJson = (p: PolicyRow) => ({ ...p, createdAt: p.createdAt.toISOString() });
const deliveryJson = (d: DeliveryRow): z.infer<typeof DeliveryBody> => ({
  id: d.id,
  alertId: d.alertId,
  policyId: d.policyId,
  step: d.step,
  event: d.event,
  channelId: d.channelId,
  channelType: d.channelType,
  contactId: d.contactId,
  recipient: d.recipient,
  status: d.status,
  attempts: d.attempts,
  nextAttemptAt: d.nextAttemptAt.toISOString(),
  lastError: d.lastError,
  createdAt: d.createdAt.toISOString(),
  sentAt: d.sentAt ? d.sentAt.toISOString() : null,
});

export async function notificationRoutes(
  app: FastifyInstance,
  opts: { notifications: Notifications; policy: OutboundPolicy; clock?: () => Date },
) {
  const { queries } = opts.notifications;
  const clock = opts.clock ?? (() => new Date());
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };
  const IdParams = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
  const tags = ['notifications'];
  const admin = { role: 'admin' as const };
  const missing = (what: string, id: number): never => {
    throw new AppError('NOT_FOUND', `${what} ${id} does not exist`);
  };

  /** A channel as it would be stored, checked by its type's schema and the outbound policy. */
  function checkedChannel(input: unknown) {
    const parsed = parseChannel(input);
    // Field errors in the same shape as the schema validation's, so a form shows each next to its field.
    if (!parsed.ok)
      throw new AppError(
        'VALIDATION_FAILED',
        parsed.message,
        parsed.issues.map((i) => ({ path: `body.${i.path}`.replace(/\.$/, ''), message: i.message })),
      );
    const { channel } = parsed;
    // What is known without DNS is refused now; a name resolving inside is refused at each delivery.
    const url = 'url' in channel.settings ? channel.settings.url : undefined;
    const host = channel.type === 'email' ? channel.settings.host : undefined;
    const refusal =
      (url && opts.policy.refusal(url)) ||
      (host && opts.policy.refusal(`http://${host.includes(':') ? `[${host}]` : host}/`));
    if (refusal)
      throw new AppError('VALIDATION_FAILED', `settings: ${refusal}`, [
        { path: url ? 'body.settings.url' : 'body.settings.host', message: refusal },
      ]);
    return channel;
  }

  r.get(
    '/notifications/channels',
    {
      config: admin,
      schema: {
        operationId: 'listNotificationChannels',
        summary: 'Danh sách kênh thông báo / List notification channels',
        description:
          'Chỉ cho biết khoá bí mật nào đã đặt. / Says which secrets are set, never what they are.',
        tags,
        response: { 200: z.object({ items: z.array(ChannelBody) }), ...errors },
      },
    },
    async () => ({
      items: (await queries.channels.list()).map(channelJson),
    }),
  );

  r.post(
    '/notifications/channels',
    {
      config: admin,
      schema: {
        operationId: 'createNotificationChannel',
        summary: 'Tạo kênh thông báo / Create a notification channel',
        description:
          'Email, SMS, Zalo OA hoặc webhook; thiết lập được kiểm theo loại kênh (docs/notifications.md). / ' +
          'Email, SMS, Zalo OA or webhook; settings are checked by the channel type (docs/notifications.md).',
        tags,
        body: ChannelInput,
        response: { 201: ChannelBody, ...errors },
      },
    },
    async (request, reply) => {
      const c = checkedChannel(request.body);
      const row = await queries.channels.create({
        name: c.name,
        type: c.type,
        settings: c.settings,
        secrets: c.secrets as Record<string, string>,
        enabled: c.enabled,
      });
      return reply.code(201).send(channelJson(row));
    },
  );

  r.patch(
    '/notifications/channels/:id',
    {
      config: admin,
      schema: {
        operationId: 'updateNotificationChannel',
        summary: 'Sửa kênh thông báo / Change a notification channel',
        description:
          'Thiết lập được gộp; khoá bí mật không gửi thì giữ nguyên. / Settings are merged, and secrets left out are kept.',
        tags,
        params: IdParams,
        body: ChannelPatch,
        response: { 200: ChannelBody, ...errors },
      },
    },
    async (request) => {
      const current =
        (await queries.channels.get(request.params.id)) ?? missing('channel', request.params.id);
      const c = checkedChannel({
        type: current.type,
        name: request.body.name ?? current.name,
        enabled: request.body.enabled ?? current.enabled,
        settings: { ...current.settings, ...request.body.settings },
        secrets: { ...current.secrets, ...request.body.secrets },
      });
      const row = await queries.channels.replace(current.id, {
        name: c.name,
        settings: c.settings,
        secrets: c.secrets as Record<string, string>,
        enabled: c.enabled,
      });
      return channelJson(row ?? missing('channel', current.id));
    },
  );

  r.delete(
    '/notifications/channels/:id',
    {
      config: admin,
      schema: {
        operationId: 'deleteNotificationChannel',
        summary: 'Xoá kênh thông báo / Delete a notification channel',
        tags,
        params: IdParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      if (!(await queries.channels.remove(request.params.id))) missing('channel', request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/notifications/channels/:id/test',
    {
      config: admin,
      schema: {
        operationId: 'testNotificationChannel',
        summary: 'Gửi tin thử qua kênh / Send a test message through a channel',
        description:
          'Tới `to` (webhook gửi tới địa chỉ của nó); theo dõi trong nhật ký gửi. / ' +
          'To `to` (a webhook goes to its URL); follow it in the delivery log.',
        tags,
        params: IdParams,
        body: z.object({ to: z.string().min(1).max(320).optional() }).strict(),
        response: { 202: DeliveryBody, ...errors },
      },
    },
    async (request, reply) => {
      const channel =
        (await queries.channels.get(request.params.id)) ?? missing('channel', request.params.id);
      const to = request.body.to;
      if (channel.type !== 'webhook') {
        const check = {
          email: ContactInput.shape.email,
          sms: ContactInput.shape.phone,
          zalo: ContactInput.shape.zaloUserId,
        }[channel.type];
        if (!to || !check.safeParse(to).success)
          throw new AppError(
            'VALIDATION_FAILED',
            `to: give the ${channel.type === 'email' ? 'email address' : channel.type === 'sms' ? 'phone number' : 'Zalo user id'} to send the test to`,
          );
      }
      const delivery = await opts.notifications.sendTest(channel.id, to ?? '');
      return reply.code(202).send(deliveryJson(delivery ?? missing('channel', channel.id)));
    },
  );

  // Contacts, schedules and policies: list, create, replace, delete, each the same way.
  const collections = [
    {
      path: 'contacts',
      what: 'contact',
      name: 'NotificationContact',
      vi: 'người nhận thông báo',
      input: ContactInput,
      body: ContactBody,
      q: queries.contacts,
      json: (x: unknown) => x,
    },
    {
      path: 'schedules',
      what: 'schedule',
      name: 'OnCallSchedule',
      vi: 'lịch trực',
      input: ScheduleInput,
      body: ScheduleBody,
      q: queries.schedules,
      json: (x: unknown) => x,
    },
  ] as const;
  for (const c of collections) {
    const q = c.q as unknown as {
      list(): Promise<unknown[]>;
      create(v: unknown): Promise<unknown>;
      replace(id: number, v: unknown): Promise<unknown>;
      remove(id: number): Promise<boolean>;
    };
    r.get(
      `/notifications/${c.path}`,
      {
        config: admin,
        schema: {
          operationId: `list${c.name}s`,
          summary: `Danh sách ${c.vi} / List ${c.what}s`,
          tags,
          response: { 200: z.object({ items: z.array(c.body) }), ...errors },
        },
      },
      async () => ({
        items: (await q.list()) as never[],
      }),
    );
    r.post(
      `/notifications/${c.path}`,
      {
        config: admin,
        schema: {
          operationId: `create${c.name}`,
          summary: `Tạo ${c.vi} / Create a ${c.what}`,
          tags,
          body: c.input,
          response: { 201: c.body, ...errors },
        },
      },
      async (request, reply) => reply.code(201).send((await q.create(request.body)) as never),
    );
    r.put(
      `/notifications/${c.path}/:id`,
      {
        config: admin,
        schema: {
          operationId: `replace${c.name}`,
          summary: `Thay ${c.vi} / Replace a ${c.what}`,
          tags,
          params: IdParams,
          body: c.input,
          response: { 200: c.body, ...errors },
        },
      },
      async (request) =>
        ((await q.replace(request.params.id, request.body)) ?? missing(c.what, request.params.id)) as never,
    );
    r.delete(
      `/notifications/${c.path}/:id`,
      {
        config: admin,
        schema: {
          operationId: `delete${c.name}`,
          summary: `Xoá ${c.vi} / Delete a ${c.what}`,
          tags,
          params: IdParams,
          response: { 204: z.null(), ...errors },
        },
      },
      async (request, reply) => {
        if (!(await q.remove(request.params.id))) missing(c.what, request.params.id);
        return reply.code(204).send(null);
      },
    );
  }

  r.get(
    '/notifications/schedules/:id/on-call',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'getOnCall',
        summary: 'Ai đang trực / Who is on call',
        description: 'Tại thời điểm `at` (mặc định: bây giờ). / At `at` (default: now).',
        tags,
        params: IdParams,
        querystring: z.object({ at: TimeParam.optional() }),
        response: { 200: z.object({ at: z.string(), contactIds: z.array(z.number()) }), ...errors },
      },
    },
    async (request) => {
      const schedule =
        (await queries.schedules.list()).find((s) => s.id === request.params.id) ??
        missing('schedule', request.params.id);
      const at = request.query.at ?? clock();
      return { at: at.toISOString(), contactIds: onCall(schedule.shifts, at) };
    },
  );

  r.get(
    '/notifications/policies',
    {
      config: admin,
      schema: {
        operationId: 'listEscalationPolicies',
        summary: 'Danh sách chính sách leo thang / List escalation policies',
        tags,
        response: { 200: z.object({ items: z.array(PolicyBody) }), ...errors },
      },
    },
    async () => ({
      items: (await queries.policies.list()).map(policyJson),
    }),
  );
  r.post(
    '/notifications/policies',
    {
      config: admin,
      schema: {
        operationId: 'createEscalationPolicy',
        summary: 'Tạo chính sách leo thang / Create an escalation policy',
        tags,
        body: PolicyInput,
        response: { 201: PolicyBody, ...errors },
      },
    },
    async (request, reply) =>
      reply.code(201).send(policyJson(await queries.policies.create(request.body, clock()))),
  );
  r.put(
    '/notifications/policies/:id',
    {
      config: admin,
      schema: {
        operationId: 'replaceEscalationPolicy',
        summary: 'Thay chính sách leo thang / Replace an escalation policy',
        tags,
        params: IdParams,
        body: PolicyInput,
        response: { 200: PolicyBody, ...errors },
      },
    },
    async (request) =>
      policyJson(
        (await queries.policies.replace(request.params.id, request.body)) ??
          missing('policy', request.params.id),
      ),
  );
  r.delete(
    '/notifications/policies/:id',
    {
      config: admin,
      schema: {
        operationId: 'deleteEscalationPolicy',
        summary: 'Xoá chính sách leo thang / Delete an escalation policy',
        tags,
        params: IdParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      if (!(await queries.policies.remove(request.params.id))) missing('policy', request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/notifications/deliveries',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'listNotificationDeliveries',
        summary: 'Nhật ký gửi thông báo / The notification delivery log',
        description: 'Mới nhất trước, người nhận được che. / Newest first, recipients masked.',
        tags,
        querystring: z.object({
          alertId: z.coerce.number().int().positive().optional(),
          channelId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
          status: z
            .enum(['pending', 'held', 'sending', 'retrying', 'sent', 'failed', 'skipped', 'cancelled'])
            .optional(),
          before: z.coerce.number().int().positive().optional().describe('page back: ids below this one'),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
        response: { 200: z.object({ items: z.array(DeliveryBody) }), ...errors },
      },
    },
    async (request) => ({
      items: (await queries.deliveries.list({ ...request.query, scope: callerScope(request) })).map(
        deliveryJson,
      ),
    }),
  );

  r.get(
    '/notifications/deliveries/:id',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'getNotificationDelivery',
        summary: 'Một lần gửi thông báo / A notification delivery',
        tags,
        params: IdParams,
        response: { 200: DeliveryBody, ...errors },
      },
    },
    async (request) =>
      deliveryJson(
        (await queries.deliveries.get(request.params.id, callerScope(request))) ??
          missing('delivery', request.params.id),
      ),
  );
}
