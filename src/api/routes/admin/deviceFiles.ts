// Devices as a file: a fleet registered from a CSV (all rows or none, a dry run that only checks, the
// one-time secrets as JSON or a CSV to download) and the registry written out in the same columns.
// Admins only; an export leaves a trace in the audit log, an import is written by the audit hook.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Audit } from '../../../audit/index.ts';
import type { Catalog } from '../../../catalog/index.ts';
import { CityId, KindName } from '../../../catalog/schema.ts';
import { toCsv } from '../../../feeds/csv.ts';
import type { Places } from '../../../places/index.ts';
import { createDeviceImport } from '../../../registry/import.ts';
import { deviceCsvColumns } from '../../../registry/importCsv.ts';
import type { DeviceRegistry } from '../../../registry/index.ts';
import type { DeviceQueries } from '../../../storage/devices.ts';
import { CsvBody, mediaResponse, responseHeaders } from '../../openapi/responses.ts';
import { ErrorBody } from '../../schemas.ts';
import { recordRead } from './auditRead.ts';

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

const credentialColumns = ['id', 'kind', 'city', 'username', 'secret', 'topicPrefix'] as const;

const noStore = (reply: { header(name: string, value: string): unknown }) =>
  reply.header('cache-control', 'no-store');

export async function deviceFileRoutes(
  app: FastifyInstance,
  opts: {
    registry: DeviceRegistry;
    queries: DeviceQueries;
    catalog: Catalog;
    places?: Places;
    audit: Audit;
  },
) {
  const { registry, queries, catalog, audit } = opts;
  const imports = createDeviceImport({ registry, queries, catalog, places: opts.places });
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
}
