// Devices for the installer and the admin who follows them up: what is typed or scanned into a device
// (the MQTT endpoint, its topics, and its secret only when one is issued) and its connection history.
// Admins only.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import { topicPrefix } from '../../../registry/fleets.ts';
import type { DeviceRegistry } from '../../../registry/index.ts';
import { DeviceWire, deviceWire } from '../../../registry/wire.ts';
import { createDeviceHistoryQueries } from '../../../storage/deviceHistory.ts';
import type { DeviceQueries } from '../../../storage/devices.ts';
import type { Pool } from '../../../storage/pool.ts';
import { callerReaches } from '../../plugins/roles.ts';
import { DeviceParams, ErrorBody, TimeParam } from '../../schemas.ts';
import { qrSvg } from './deviceQr.ts';

/** Where devices reach the MQTT broker, as the app started it (or the city's broker, MQTT_URL). */
export interface MqttEndpoint {
  /** A name devices can reach; unset: the name the admin's browser reached the IOC by. */
  host?: string;
  port?: number;
  tlsPort?: number;
  wsPort?: number;
}

/** The broker devices are told to reach: the city's (MQTT_URL), else the embedded one's ports. */
export function brokerEndpoint(
  mqttUrl: string | undefined,
  ports: { port?: number; tlsPort?: number; wsPort?: number },
): MqttEndpoint {
  if (!mqttUrl) return ports;
  const url = new URL(mqttUrl);
  const port = url.port ? Number(url.port) : url.protocol === 'mqtts:' ? 8883 : 1883;
  return url.protocol === 'mqtts:' ? { host: url.hostname, tlsPort: port } : { host: url.hostname, port };
}

const Connection = z.object({
  host: z.string().describe('the MQTT broker devices connect to'),
  port: z.number().int().nullable().describe('plain MQTT; null when only TLS is open'),
  tlsPort: z.number().int().nullable().describe('MQTT over TLS; null when TLS is not configured'),
  wsPort: z.number().int().nullable(),
  clientId: z.string(),
  username: z.string(),
  secret: z
    .string()
    .optional()
    .describe('only in the answer that issues it (POST): stored hashed, never shown again'),
  topics: z.object({
    telemetry: z.string(),
    status: z.string().describe('retained online/offline; also the last will'),
    event: z.string(),
    commands: z.string().describe('the device subscribes here'),
  }),
  qrSvg: z
    .string()
    .describe(
      'these details as a QR code (SVG; JSON inside, `password` only when this answer issues the secret)',
    ),
});

export async function adminDeviceRoutes(
  app: FastifyInstance,
  opts: { registry: DeviceRegistry; queries: DeviceQueries; pool: Pool; mqtt: MqttEndpoint },
) {
  const { registry, queries } = opts;
  const history = createDeviceHistoryQueries(opts.pool);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

  async function connection(request: { hostname: string }, id: string, secret?: string) {
    const device = registry.get(id);
    if (!device)
      throw new AppError('DEVICE_NOT_FOUND', `thiết bị ${id} không có / device ${id} does not exist`);
    const prefix = topicPrefix(device);
    // The browser's Host may carry a port (the API's): the broker listens on its own.
    const host = opts.mqtt.host ?? request.hostname.replace(/:\d+$/, '');
    const details = {
      host,
      port: opts.mqtt.port ?? null,
      tlsPort: opts.mqtt.tlsPort ?? null,
      wsPort: opts.mqtt.wsPort ?? null,
      clientId: id,
      username: id,
      ...(secret ? { secret } : {}),
      topics: {
        telemetry: `${prefix}telemetry`,
        status: `${prefix}status`,
        event: `${prefix}event`,
        commands: `${prefix}cmd`,
      },
    };
    return { ...details, qrSvg: await qrSvg(details) };
  }

  r.get(
    '/devices/:id/connection',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'getDeviceConnection',
        summary: 'Thông số kết nối MQTT cho người lắp đặt / MQTT connection details for the installer',
        description:
          'Để tạo mã QR; không có mật khẩu (chỉ có khi tạo hoặc đổi: POST). / ' +
          'For a QR code; no secret (only when one is issued: POST).',
        tags: ['devices'],
        params: DeviceParams,
        response: { 200: Connection, ...errors },
      },
    },
    async (request) => connection(request, request.params.id),
  );

  r.post(
    '/devices/:id/connection',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'issueDeviceConnection',
        summary:
          'Cấp mật khẩu MQTT mới kèm thông số kết nối / Issue a new MQTT secret with the connection details',
        description:
          'Mật khẩu cũ hết hiệu lực ngay; mật khẩu mới chỉ hiện trong câu trả lời này. / ' +
          'The old secret stops working at once; the new one appears in this answer only.',
        tags: ['devices'],
        params: DeviceParams,
        response: { 200: Connection, ...errors },
      },
    },
    async (request, reply) => {
      const secret = await registry.rotateCredentials(request.params.id);
      reply.header('cache-control', 'no-store');
      return connection(request, request.params.id, secret);
    },
  );

  for (const disabled of [true, false]) {
    r.post(
      disabled ? '/devices/:id/disable' : '/devices/:id/enable',
      {
        config: { role: 'admin' },
        schema: {
          operationId: disabled ? 'disableDevice' : 'enableDevice',
          summary: disabled
            ? 'Tạm ngừng thiết bị / Disable a device'
            : 'Cho thiết bị hoạt động lại / Enable a device again',
          description: disabled
            ? 'Broker từ chối kết nối của nó (CONNACK 5, lý do device_disabled); đăng ký, lịch sử và số đo vẫn giữ. ' +
              'Kết nối đang mở bị đóng ngay. / The broker refuses its connections (CONNACK 5, reason ' +
              'device_disabled); its registration, history and readings stay. A connection already open is closed ' +
              'at once (on an external broker: by Mosquitto dynamic security, else at its next connection).'
            : 'Thiết bị kết nối lại được bằng mật khẩu hiện có. / It can connect again with its current secret.',
          tags: ['devices'],
          params: DeviceParams,
          response: { 200: DeviceWire, ...errors },
        },
      },
      async (request) => deviceWire(await registry.setDisabled(request.params.id, disabled)),
    );
  }

  r.get(
    '/devices/:id/status-history',
    {
      // Installers too, for their own devices (callerReaches below).
      config: { role: 'admin', installer: true },
      schema: {
        operationId: 'getDeviceStatusHistory',
        summary: 'Lịch sử kết nối của thiết bị / A device’s connection history',
        description:
          'Các lần lên mạng, rời mạng và di chúc (last will), mới nhất trước; trang sau bằng `before`. Tin bị từ chối: ' +
          'GET /dead-letters?deviceId=. / Online and offline transitions and last wills, newest first; page with ' +
          '`before`. Refused messages: GET /dead-letters?deviceId=.',
        tags: ['devices'],
        params: DeviceParams,
        querystring: z.object({
          from: TimeParam.optional(),
          to: TimeParam.optional(),
          before: TimeParam.optional().describe('page: transitions before this time (the last one shown)'),
          limit: z.coerce.number().int().min(1).max(1_000).default(100),
        }),
        response: {
          200: z.object({
            deviceId: z.string(),
            online: z.boolean().nullable().describe('now; null: it has never reported a status'),
            statusAt: z.string().nullable(),
            lastSeen: z.string().nullable(),
            items: z.array(
              z.object({
                time: z.string(),
                online: z.boolean(),
                lastWill: z
                  .boolean()
                  .describe('the broker published its last will: it dropped off unannounced'),
              }),
            ),
            nextBefore: z.string().nullable(),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const device = (await queries.get(id)) ?? undefined;
      if (!device || !callerReaches(request, device))
        throw new AppError('DEVICE_NOT_FOUND', `thiết bị ${id} không có / device ${id} does not exist`);
      const q = request.query;
      const items = await history.statusChanges(id, {
        from: q.from,
        to: q.to,
        before: q.before,
        limit: q.limit,
      });
      const last = items.at(-1);
      return {
        deviceId: id,
        online: device.online,
        statusAt: device.statusAt?.toISOString() ?? null,
        lastSeen: device.lastSeen?.toISOString() ?? null,
        items: items.map((c) => ({ time: c.time.toISOString(), online: c.online, lastWill: c.lastWill })),
        nextBefore: items.length === q.limit && last ? last.time.toISOString() : null,
      };
    },
  );
}
