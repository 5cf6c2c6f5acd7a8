// The audit log for admins: newest first, filtered by who, what, target, outcome, address, area and
// time; page with `before` (the last id of the previous page), or take it all as CSV (itself audited:
// the log says who carried the log away).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Audit } from '../../audit/index.ts';
import { toCsv } from '../../feeds/csv.ts';
import { auditOutcomes } from '../../storage/audit.ts';
import { CsvBody, mediaResponse, responseHeaders } from '../openapi/responses.ts';
import { ErrorBody, TimeParam } from '../schemas.ts';
import { recordRead } from './admin/auditRead.ts';

const AuditBody = z.object({
  id: z.number(),
  at: z.string(),
  actor: z.string().nullable().describe('username; null when nobody was identified'),
  actorRole: z.string().nullable(),
  action: z.string().describe('auth.login, auth.logout, or "METHOD /api/v1/route/:param"'),
  target: z.string().nullable(),
  ip: z.string(),
  outcome: z.enum(auditOutcomes),
  status: z.number().nullable(),
  details: z.record(z.string(), z.unknown()),
});

const Filter = z.object({
  actor: z.string().max(64).optional(),
  action: z.string().max(200).optional().describe('exact, e.g. auth.login or "PATCH /api/v1/rules/:id"'),
  target: z.string().max(200).optional(),
  outcome: z.enum(auditOutcomes).optional(),
  ip: z.string().max(64).optional(),
  area: z
    .string()
    .max(64)
    .optional()
    .describe('an area or unit id: entries that name it (target, or city/ward/area in what they record)'),
  from: TimeParam.optional(),
  to: TimeParam.optional(),
});

/** The most rows one export carries; narrow the time range for more. */
const exportMax = 100_000;
const exportColumns = [
  'id',
  'at',
  'actor',
  'actorRole',
  'action',
  'target',
  'ip',
  'outcome',
  'status',
  'details',
];

export async function auditRoutes(app: FastifyInstance, opts: { audit: Audit }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/audit',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listAuditEntries',
        summary: 'Nhật ký kiểm toán / The audit log',
        description:
          'Thao tác của người vận hành và quản trị, đăng nhập và truy cập bị từ chối (chỉ ghi thêm), mới nhất trước; ' +
          'trang sau bằng `before`. / Operator and admin actions, logins and refused accesses (append-only), ' +
          'newest first; page with `before`.',
        tags: ['audit'],
        querystring: Filter.extend({
          before: z.coerce.number().int().positive().optional(),
          limit: z.coerce.number().int().min(1).max(1_000).default(100),
        }),
        response: {
          200: z.object({ items: z.array(AuditBody), nextBefore: z.number().nullable() }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request) => {
      const { before, ...q } = request.query;
      const rows = await opts.audit.list({ ...q, beforeId: before });
      const last = rows.at(-1);
      return {
        items: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
        nextBefore: rows.length === q.limit && last ? last.id : null,
      };
    },
  );

  r.get(
    '/audit/export',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'exportAuditEntries',
        summary: 'Xuất nhật ký kiểm toán ra CSV / Export the audit log as CSV',
        description:
          `Cùng bộ lọc với GET /audit, mới nhất trước, tối đa ${exportMax} dòng; việc xuất cũng được ghi vào nhật ký. / ` +
          `The filters of GET /audit, newest first, at most ${exportMax} rows; the export is itself logged.`,
        tags: ['audit'],
        querystring: Filter,
        response: {
          200: {
            ...mediaResponse('text/csv', 'Nhật ký / The entries', CsvBody),
            headers: { 'Content-Disposition': responseHeaders.contentDisposition },
          },
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const rows: Array<Record<string, unknown>> = [];
      // Pages by id, so no single statement holds the whole range.
      let beforeId: number | undefined;
      while (rows.length < exportMax) {
        const page = await opts.audit.list({
          ...request.query,
          beforeId,
          limit: Math.min(1_000, exportMax - rows.length),
        });
        for (const entry of page) rows.push({ ...entry, details: JSON.stringify(entry.details) });
        if (page.length < 1_000) break;
        beforeId = page.at(-1)!.id;
      }
      await recordRead(opts.audit, request, { target: null, status: 200, details: { rows: rows.length } });
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="audit-log.csv"')
        .send(toCsv(exportColumns, rows));
    },
  );
}
