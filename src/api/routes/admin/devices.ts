// Devices for the admin console: a fleet registered from a CSV file (all rows or none, a dry run that
// only checks), the registry written out as the same CSV, what an installer types or scans into a
// device (the MQTT endpoint, its topics, and its secret only when one is issued), and its connection
// history. Admins only; the exports and every issued secret leave a trace in the audit log.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Audit } from '../../../audit/index.ts';
import type { Catalog } from '../../../catalog/index.ts';
import { CityId, KindName } from '../../../catalog/schema.ts';
import { AppError } from '../../../errors.ts';
import { toCsv } from '../../../feeds/csv.ts';
import type { Places } from '../../../places/index.ts';
import { topicPrefix } from '../../../registry/fleets.ts';
import { createDeviceImport } from '../../../registry/import.ts';
import { deviceCsvColumns } from '../../../registry/importCsv.ts';
import type { DeviceRegistry } from '../../../registry/index.ts';
import { createDeviceHistoryQueries } from '../../../storage/deviceHistory.ts';
import type { DeviceQueries } from '../../../storage/devices.ts';
import type { Pool } from '../../../storage/pool.ts';
import { CsvBody, mediaResponse, responseHeaders } from '../../openapi/responses.ts';
import { DeviceParams, ErrorBody, TimeParam } from '../../schemas.ts';
import { recordRead } from './auditRead.ts';

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

/** A file of 20,000 devices with long names and poles fits; the API's usual limit is 1 MiB. */
const importBodyLimit = 8 * 1_048_576;
const csvMax = importBodyLimit;

const Problem = z.object({
  line: z.number().int().describe('the line in the file, the header being line 1'),
  field: z.string().describe("the column, or '' for the whole row or file"),
  message: z.string().describe('Vietnamese / English'),
});

const Issued = z.object({
  id: z.string(),
  kind: z.string(),
  city: z.string(),
  username: z.string(),
  secret: z.string().describe('MQTT password; shown only in this answer, stored hashed'),
  topicPrefix: z.string(),
});

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
});

const credentialColumns = ['id', 'kind', 'city', 'username', 'secret', 'topicPrefix'] as const;

const noStore = (reply: { header(name: string, value: string): unknown }) =>
  reply.header('cache-control', 'no-store');

export async function adminDeviceRoutes(
  app: FastifyInstance,
  opts: {
    registry: DeviceRegistry;
    queries: DeviceQueries;
    catalog: Catalog;
    places?: Places;
    pool: Pool;
    audit: Audit;
    mqtt: MqttEndpoint;
  },
) {
  const { registry, queries, catalog, audit } = opts;
  const imports = createDeviceImport({ registry, queries, catalog, places: opts.places });
  const history = createDeviceHistoryQueries(opts.pool);
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 409: ErrorBody };

  // The file as it was saved: text/csv taken as text, only on these routes.
  app.addContentTypeParser(
    'text/csv',
    { parseAs: 'string', bodyLimit: importBodyLimit },
    (_request, body, done) => done(null, body),
  );

  r.post(
    '/devices/import',
    {
      config: { role: 'admin' },
      bodyLimit: importBodyLimit,
      schema: {
        operationId: 'importDevices',
        summary: 'Nhập thiết bị từ tệp CSV / Import devices from a CSV file',
        description:
          'Cột: id, kind, city, ward, lat, lon, pole, zone, name (như GET /devices/export). Mỗi dòng được kiểm tra như ' +
          'POST /devices, cùng mã trùng trong tệp và mã đã đăng ký; có lỗi thì không nhập dòng nào (lỗi theo dòng và ' +
          'cột). `dryRun=true` chỉ kiểm tra. Mật khẩu MQTT chỉ có trong câu trả lời này; `format=csv` trả chúng thành ' +
          'tệp CSV để tải. / Columns: id, kind, city, ward, lat, lon, pole, zone, name (as GET /devices/export). ' +
          'Every row is checked as POST /devices checks one, plus ids twice in the file and ids already registered; ' +
          'any problem imports nothing (problems by line and column). `dryRun=true` only checks. The MQTT secrets ' +
          'are in this answer only; `format=csv` returns them as a CSV file to download.',
        tags: ['devices'],
        consumes: ['text/csv', 'application/json'],
        querystring: z.object({
          dryRun: z
            .enum(['true', 'false'])
            .default('false')
            .transform((v) => v === 'true'),
          format: z.enum(['json', 'csv']).default('json').describe('how the issued credentials come back'),
        }),
        body: z.union([
          z.string().max(csvMax).describe('the CSV file (Content-Type: text/csv)'),
          z.object({ csv: z.string().max(csvMax) }).strict(),
        ]),
        response: {
          200: z
            .object({
              dryRun: z.literal(true),
              valid: z.boolean(),
              rows: z.number().int(),
              problems: z.array(Problem),
            })
            .describe('dryRun: what an import of this file would refuse'),
          201: {
            description:
              'Đã nhập cả tệp; mật khẩu chỉ hiện lần này / The whole file imported; secrets shown this once',
            headers: { 'Content-Disposition': responseHeaders.contentDisposition },
            content: {
              'application/json': {
                schema: z.object({
                  rows: z.number().int(),
                  created: z.number().int(),
                  credentials: z.array(Issued),
                }),
              },
              'text/csv': { schema: CsvBody.describe(`columns: ${credentialColumns.join(', ')}`) },
            },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const text = typeof request.body === 'string' ? request.body : request.body.csv;
      noStore(reply);
      if (request.query.dryRun) {
        const checked = await imports.check(text);
        return reply.code(200).send({
          dryRun: true as const,
          valid: checked.problems.length === 0,
          rows: checked.rows,
          problems: checked.problems,
        });
      }
      const { rows, credentials } = await imports.run(text);
      if (request.query.format === 'csv') {
        const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
        return reply
          .code(201)
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="device-credentials-${stamp}.csv"`)
          .send(toCsv(credentialColumns, credentials as unknown as Array<Record<string, unknown>>));
      }
      return reply.code(201).send({ rows, created: credentials.length, credentials });
    },
  );

  r.get(
    '/devices/export',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'exportDevices',
        summary: 'Xuất danh sách thiết bị ra CSV / Export devices as CSV',
        description:
          'Các cột của POST /devices/import, lọc như GET /devices; không có mật khẩu. / ' +
          'The columns POST /devices/import reads, filtered like GET /devices; no secrets.',
        tags: ['devices'],
        querystring: z.object({
          city: CityId.optional(),
          ward: z.string().max(64).optional(),
          kind: KindName.optional(),
          status: z.enum(['online', 'offline', 'unknown']).optional(),
        }),
        response: {
          200: {
            ...mediaResponse('text/csv', 'Thiết bị / Devices', CsvBody),
            headers: { 'Content-Disposition': responseHeaders.contentDisposition },
          },
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { ward, city } = request.query;
      const filter = ward ? { ...request.query, ward: catalog.currentWard(city, ward) } : request.query;
      const rows: Array<Record<string, unknown>> = [];
      // In pages, so one export never holds a statement open over the whole registry.
      const page = 10_000;
      for (let offset = 0; ; offset += page) {
        const found = await queries.list({ ...filter, limit: page, offset });
        for (const d of found.rows) rows.push({ ...d });
        if (found.rows.length < page) break;
      }
      await recordRead(audit, request, { target: null, status: 200, details: { rows: rows.length } });
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="devices.csv"')
        .send(toCsv(deviceCsvColumns, rows));
    },
  );

  function connection(request: { hostname: string }, id: string, secret?: string) {
    const device = registry.get(id);
    if (!device)
      throw new AppError('DEVICE_NOT_FOUND', `thiết bị ${id} không có / device ${id} does not exist`);
    const prefix = topicPrefix(device);
    // The browser's Host may carry a port (the API's): the broker listens on its own.
    const host = opts.mqtt.host ?? request.hostname.replace(/:\d+$/, '');
    return {
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
      noStore(reply);
      return connection(request, request.params.id, secret);
    },
  );

  r.get(
    '/devices/:id/status-history',
    {
      config: { role: 'admin' },
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
      if (!device)
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
