// Provisioning over HTTP: admins create, list and revoke provisioning keys; a device or an installer's
// phone claims its identity with one (public route: the key is its credential, checked by the
// provisioning area, which also writes the claim's audit entry). The claim's answer is everything a
// device needs to connect: its MQTT username, its secret (this once), the broker's ports and topics.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deviceTopic } from '../../ingest/topics.ts';
import type { MqttEndpoints } from '../../provisioning/endpoints.ts';
import type { Provisioning } from '../../provisioning/index.ts';
import { topicPrefix } from '../../registry/fleets.ts';
import { DeviceWire, deviceWire } from '../../registry/wire.ts';
import type { ProvisioningKeyRow } from '../../storage/provisioning.ts';
import { responseHeaders } from '../openapi/responses.ts';
import { ErrorBody } from '../schemas.ts';

const Name = z
  .string()
  .max(63)
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, dot, dash and underscore, up to 63');
const Id = z.string().max(63);

const KeyRecord = z.object({
  id: z.number().int(),
  name: z.string(),
  key: z.string().describe('Mã công khai của khóa / The key’s public id (iocp_…)'),
  city: z.string(),
  unit: z.string().nullable(),
  kinds: z.array(z.string()).nullable(),
  expiresAt: z.string(),
  maxClaims: z.number().int(),
  claims: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
});

const keyJson = (k: ProvisioningKeyRow): z.infer<typeof KeyRecord> => ({
  id: k.id,
  name: k.name,
  key: k.keyId,
  city: k.city,
  unit: k.unit,
  kinds: k.kinds,
  expiresAt: k.expiresAt.toISOString(),
  maxClaims: k.maxClaims,
  claims: k.claims,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
  revokedBy: k.revokedBy,
});

const KeyInput = z
  .object({
    name: Name,
    city: Id,
    unit: z.string().min(1).max(64).nullable().optional(),
    kinds: z.array(Id).max(50).nullable().optional(),
    expiresAt: z.iso.datetime({ offset: true }).max(40),
    maxClaims: z.number().int().min(1).max(100_000),
  })
  .strict();

const ClaimBody = z
  .object({
    key: z.string().min(1).max(64).describe('iocp_…'),
    secret: z.string().min(1).max(128),
    id: z
      .string()
      .max(63)
      .regex(/^[a-z0-9][a-z0-9-]{2,62}$/, 'lower-case letters, digits and dashes, 3 to 63 characters'),
    kind: Id,
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    city: Id.optional(),
    ward: z.string().min(1).max(64).optional(),
    name: z.string().min(1).max(200).optional(),
    pole: z.string().min(1).max(64).nullable().optional(),
    zone: z.enum(['special', 'normal']).nullable().optional(),
  })
  .strict();

const Port = z.number().int().nullable();
const ClaimAnswer = z.object({
  device: DeviceWire,
  credentials: z.object({
    clientId: z.string().describe('= username = mã thiết bị / the device id'),
    username: z.string(),
    secret: z.string().describe('Mật khẩu MQTT, chỉ hiện lần này / MQTT password, shown this once'),
    topicPrefix: z.string(),
  }),
  broker: z.object({
    host: z.string(),
    ports: z.object({ mqtt: Port, mqtts: Port, ws: Port }),
    wsTls: z.boolean(),
  }),
  topics: z.object({
    telemetry: z.string(),
    status: z.string(),
    event: z.string(),
    cmd: z.string().describe('Thiết bị đăng ký / the device subscribes'),
  }),
});

const adminErrors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

export async function provisioningRoutes(
  app: FastifyInstance,
  opts: { provisioning: Provisioning; mqtt: MqttEndpoints },
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { provisioning, mqtt } = opts;

  r.post(
    '/provisioning/keys',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'createProvisioningKey',
        summary: 'Tạo khóa cấp phát thiết bị / Create a device provisioning key',
        description: 'Bí mật chỉ hiện trong câu trả lời này. / The secret is shown in this answer only.',
        tags: ['provisioning'],
        body: KeyInput,
        response: { 201: KeyRecord.extend({ secret: z.string() }), 409: ErrorBody, ...adminErrors },
      },
    },
    async (request, reply) => {
      const { expiresAt, ...rest } = request.body;
      const { key, secret } = await provisioning.keys.create(
        { ...rest, expiresAt: new Date(expiresAt) },
        request.principal!.username,
      );
      return reply.code(201).send({ ...keyJson(key), secret });
    },
  );

  r.get(
    '/provisioning/keys',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listProvisioningKeys',
        summary: 'Danh sách khóa cấp phát / List provisioning keys',
        description: 'Không bao giờ hiện bí mật. / Never their secrets.',
        tags: ['provisioning'],
        response: { 200: z.object({ items: z.array(KeyRecord) }), ...adminErrors },
      },
    },
    async () => ({ items: (await provisioning.keys.list()).map(keyJson) }),
  );

  r.get(
    '/provisioning/keys/:id/claims',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listProvisioningClaims',
        summary: 'Các thiết bị đã cấp phát bằng một khóa / The devices a key has claimed',
        tags: ['provisioning'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: {
          200: z.object({
            items: z.array(z.object({ deviceId: z.string(), claimedAt: z.string(), ip: z.string() })),
          }),
          ...adminErrors,
        },
      },
    },
    async (request) => ({
      items: (await provisioning.claims(request.params.id)).map((c) => ({
        ...c,
        claimedAt: c.claimedAt.toISOString(),
      })),
    }),
  );

  r.delete(
    '/provisioning/keys/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'revokeProvisioningKey',
        summary: 'Thu hồi khóa cấp phát / Revoke a provisioning key',
        description:
          'Khóa không cấp phát được nữa; thiết bị đã cấp phát vẫn kết nối được. / ' +
          'It claims nothing more; the devices it made keep working.',
        tags: ['provisioning'],
        params: z.object({ id: z.coerce.number().int().positive() }),
        response: { 200: KeyRecord, 404: ErrorBody, ...adminErrors },
      },
    },
    async (request) =>
      keyJson(await provisioning.keys.revoke(request.params.id, request.principal!.username)),
  );

  r.post(
    '/provisioning/claim',
    {
      config: { role: 'public', audit: 'explicit' },
      schema: {
        operationId: 'claimDevice',
        summary:
          'Thiết bị tự nhận danh tính bằng khóa cấp phát / A device claims its identity with a provisioning key',
        description:
          'Một lần cho mỗi mã thiết bị và khóa; lần thứ hai nhận 409 ALREADY_CLAIMED, không có bí mật. ' +
          'Lý do từ chối trong error.details.reason. / Once per device id and key; a second claim gets ' +
          '409 ALREADY_CLAIMED without a secret. The refusal reason is in error.details.reason.',
        tags: ['provisioning'],
        body: ClaimBody,
        response: {
          201: {
            description: 'Đã đăng ký / Registered',
            headers: { Warning: responseHeaders.warning },
            content: { 'application/json': { schema: ClaimAnswer } },
          },
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
          429: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { device, secret, notice } = await provisioning.claim(request.body, { ip: request.ip });
      if (notice) reply.header('warning', `299 - "${encodeURIComponent(`${notice.vi} / ${notice.en}`)}"`);
      return reply.code(201).send({
        device: deviceWire(device),
        credentials: { clientId: device.id, username: device.id, secret, topicPrefix: topicPrefix(device) },
        broker: {
          host: mqtt.host ?? request.hostname,
          ports: { mqtt: mqtt.mqtt ?? null, mqtts: mqtt.mqtts ?? null, ws: mqtt.ws ?? null },
          wsTls: mqtt.wsTls,
        },
        topics: {
          telemetry: deviceTopic(device, 'telemetry'),
          status: deviceTopic(device, 'status'),
          event: deviceTopic(device, 'event'),
          cmd: deviceTopic(device, 'cmd'),
        },
      });
    },
  );
}
