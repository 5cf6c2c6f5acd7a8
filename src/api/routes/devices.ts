// Devices: the registry over HTTP. Reads for every role, within the caller's scope (a device outside it
// does not exist for them), installers' included, narrowed to their devices; changes and credentials
// for admins.
// The clear MQTT secret appears in exactly two answers: creation and rotation.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Catalog } from '../../catalog/index.ts';
import { CityId, KindName } from '../../catalog/schema.ts';
import { AppError } from '../../errors.ts';
import { topicPrefix } from '../../registry/fleets.ts';
import type { DeviceRegistry } from '../../registry/index.ts';
import { DeviceWire, deviceWire } from '../../registry/wire.ts';
import {
  type DeviceCursor,
  type DeviceQueries,
  type DeviceSort,
  deviceCursor,
  deviceSorts,
} from '../../storage/devices.ts';
import { responseHeaders } from '../openapi/responses.ts';
import { callerReach, callerReaches } from '../plugins/roles.ts';
import { DeviceInput, DeviceParams, DevicePatch, ErrorBody } from '../schemas.ts';

const Credentials = z.object({
  username: z.string().describe('MQTT username and client id: the device id'),
  secret: z.string().describe('MQTT password; shown only in this answer, stored hashed'),
  topicPrefix: z.string(),
});

// A page's end as the caller carries it: opaque, and tied to its order so it is not read in another.
const CursorBody = z.object({
  s: z.enum(deviceSorts),
  k: z.string().max(64).nullable(),
  i: z.string().max(64),
});
const writeCursor = (c: DeviceCursor, sort: DeviceSort) =>
  Buffer.from(JSON.stringify({ s: sort, k: c.key, i: c.id })).toString('base64url');
function readCursor(text: string, sort: DeviceSort): DeviceCursor {
  try {
    const c = CursorBody.parse(JSON.parse(Buffer.from(text, 'base64url').toString()));
    if (c.s === sort) return { key: c.k, id: c.i };
  } catch {
    // answered below
  }
  throw new AppError(
    'VALIDATION_FAILED',
    'cursor: không phải nextCursor của trang trước với cùng `sort` / not the nextCursor of a previous page with the same `sort`',
  );
}

const LatestValue = z.object({ value: z.number(), ts: z.string(), unit: z.string() });

export async function deviceRoutes(
  app: FastifyInstance,
  opts: {
    registry: DeviceRegistry;
    queries: DeviceQueries;
    catalog: Catalog;
    /** Stored values the writer has not yet upserted into device_latest (INGEST_LATEST_FLUSH_MS). */
    unflushedLatest?: (deviceId: string) => Array<{ metric: string; time: Date; value: number }>;
  },
) {
  const { registry, queries, catalog, unflushedLatest } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

  function credentials(id: string, secret: string) {
    return { username: id, secret, topicPrefix: topicPrefix(registry.get(id)!) };
  }

  r.get(
    '/devices',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'listDevices',
        summary: 'Danh sách thiết bị / List devices',
        description:
          'Lọc theo địa bàn, phường, loại, trạng thái; tìm theo một phần mã hoặc tên (`q`); sắp xếp (`sort`); trang bằng ' +
          '`cursor` (nextCursor của trang trước) hoặc `offset`. / Filter by city, ward, kind, status; search a piece ' +
          "of the id or name (`q`); order (`sort`); page with `cursor` (the previous page's nextCursor) or `offset`.",
        tags: ['devices'],
        querystring: z.object({
          city: CityId.optional(),
          ward: z.string().max(64).optional(),
          kind: KindName.optional(),
          status: z.enum(['online', 'offline', 'unknown']).optional(),
          disabled: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional()
            .describe('true: only devices an admin disabled; false: only enabled ones'),
          q: z.string().min(1).max(64).optional().describe('a piece of the id or the name, any case'),
          sort: z.enum(deviceSorts).default('id').describe('`-` first: descending; the id breaks ties'),
          cursor: z.string().max(400).optional().describe('nextCursor of the previous page (same sort)'),
          limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: {
          200: z.object({
            items: z.array(DeviceWire),
            total: z.number().int().describe('devices matching the filters, on every page'),
            nextCursor: z.string().nullable().describe('the next page; null on the last'),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      // A former unit's id (before 1 July 2025) lists the unit it went into (docs/places.md).
      const { ward, city, q, cursor, ...rest } = request.query;
      const query = { ...rest, city, ward: ward ? catalog.currentWard(city, ward) : undefined, search: q };
      const after = cursor === undefined ? undefined : readCursor(cursor, rest.sort);
      // One row past the page says whether another follows, without a second query.
      const found = await queries.list({
        ...query,
        limit: rest.limit + 1,
        after,
        ...callerReach(request),
      });
      const rows = found.rows.slice(0, rest.limit);
      const last = rows.at(-1);
      return {
        items: rows.map(deviceWire),
        total: found.total,
        nextCursor:
          last && found.rows.length > rest.limit
            ? writeCursor(deviceCursor(last, rest.sort), rest.sort)
            : null,
      };
    },
  );

  r.get(
    '/devices/:id',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'getDevice',
        summary:
          'Một thiết bị với giá trị mới nhất của mỗi chỉ số / A device with its latest value of every metric',
        tags: ['devices'],
        params: DeviceParams,
        response: { 200: DeviceWire.extend({ latest: z.record(z.string(), LatestValue) }), ...errors },
      },
    },
    async (request) => {
      const row = await queries.get(request.params.id);
      if (!row || !callerReaches(request, row))
        throw new AppError('DEVICE_NOT_FOUND', `device ${request.params.id} does not exist`);
      const metrics = catalog.kind(row.kind).metrics;
      const latest: Record<string, z.infer<typeof LatestValue>> = {};
      const points = [...(await queries.latest(row.id)), ...(unflushedLatest?.(row.id) ?? [])];
      for (const point of points.sort((a, b) => a.time.getTime() - b.time.getTime())) {
        latest[point.metric] = {
          value: point.value,
          ts: point.time.toISOString(),
          unit: metrics[point.metric]?.unit ?? '',
        };
      }
      return { ...deviceWire(row), latest };
    },
  );

  r.get(
    '/devices/:id/messages',
    {
      config: { role: 'viewer', installer: true },
      schema: {
        operationId: 'listDeviceMessages',
        summary: 'Các tin gần nhất thiết bị gửi và được nhận / A device’s latest accepted messages',
        description:
          'Mới nhất trước, mỗi tin với các chỉ số như đã lưu; tin bị từ chối: GET /dead-letters?deviceId=. / ' +
          'Newest first, each with its metrics as stored; refused ones: GET /dead-letters?deviceId=.',
        tags: ['devices'],
        params: DeviceParams,
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
        response: {
          200: z.object({
            deviceId: z.string(),
            items: z.array(z.object({ ts: z.string(), metrics: z.record(z.string(), z.number()) })),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const row = await queries.get(request.params.id);
      if (!row || !callerReaches(request, row))
        throw new AppError('DEVICE_NOT_FOUND', `device ${request.params.id} does not exist`);
      const messages = await queries.recentMessages(row.id, request.query.limit);
      return {
        deviceId: row.id,
        items: messages.map((m) => ({ ts: m.time.toISOString(), metrics: m.metrics })),
      };
    },
  );

  r.post(
    '/devices',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'createDevice',
        summary: 'Đăng ký thiết bị / Register a device',
        description:
          'Câu trả lời mang mật khẩu MQTT, chỉ hiện lần này. / The answer carries its MQTT secret, shown this once.',
        tags: ['devices'],
        body: DeviceInput,
        response: {
          201: {
            description: 'Đã đăng ký / Registered',
            headers: { Warning: responseHeaders.warning },
            content: {
              'application/json': { schema: z.object({ device: DeviceWire, credentials: Credentials }) },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const { device, secret, notice } = await registry.create({
        ...body,
        pole: body.pole ?? null,
        zone: body.zone ?? null,
      });
      // A former unit's id was taken as its current unit (docs/places.md): RFC 9110 Warning 299.
      if (notice) reply.header('warning', `299 - "${encodeURIComponent(`${notice.vi} / ${notice.en}`)}"`);
      return reply
        .code(201)
        .send({ device: deviceWire(device), credentials: credentials(device.id, secret) });
    },
  );

  r.patch(
    '/devices/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'updateDevice',
        summary: 'Sửa vị trí hoặc tên thiết bị / Change where a device stands or what it is called',
        description:
          'Không đổi được mã hay loại. Nơi có ranh giới đơn vị, vị trí quyết định đơn vị: vị trí mới kéo đơn vị theo; ' +
          '`ward` khác đơn vị chứa vị trí bị từ chối (400, details.positionWard), hãy sửa cả vị trí. / Not its id or ' +
          'kind. Where unit boundaries exist the position decides the unit: a new position brings its unit; a ' +
          '`ward` other than the unit holding the position is refused (400, details.positionWard): change the ' +
          'position too.',
        tags: ['devices'],
        params: DeviceParams,
        body: DevicePatch,
        response: { 200: DeviceWire, ...errors },
      },
    },
    async (request) => deviceWire(await registry.update(request.params.id, request.body)),
  );

  r.delete(
    '/devices/:id',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'deleteDevice',
        summary: 'Gỡ thiết bị / Remove a device',
        description:
          'Thiết bị không kết nối được nữa; số đo đã lưu giữ đến hạn lưu trữ. / ' +
          'It can no longer connect; its stored telemetry stays until retention.',
        tags: ['devices'],
        params: DeviceParams,
        response: { 204: z.null(), ...errors },
      },
    },
    async (request, reply) => {
      await registry.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/devices/:id/credentials',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'rotateDeviceCredentials',
        summary: 'Đổi mật khẩu MQTT của thiết bị / Rotate a device’s MQTT secret',
        description: 'Mật khẩu cũ hết hiệu lực ngay. / The old one stops working at once.',
        tags: ['devices'],
        params: DeviceParams,
        response: { 200: Credentials, ...errors },
      },
    },
    async (request) => credentials(request.params.id, await registry.rotateCredentials(request.params.id)),
  );
}
