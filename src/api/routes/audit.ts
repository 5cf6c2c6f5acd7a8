// The audit log for admins: newest first, filtered by who, what, target, outcome, address and time;
// page with `before` (the last id of the previous page).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Audit } from '../../audit/index.ts';
import { auditOutcomes } from '../../storage/audit.ts';
import { ErrorBody, TimeParam } from '../schemas.ts';

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

export async function auditRoutes(app: FastifyInstance, opts: { audit: Audit }) {
  app.withTypeProvider<ZodTypeProvider>().get(
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
        querystring: z.object({
          actor: z.string().max(64).optional(),
          action: z
            .string()
            .max(200)
            .optional()
            .describe('exact, e.g. auth.login or "PATCH /api/v1/rules/:id"'),
          target: z.string().max(200).optional(),
          outcome: z.enum(auditOutcomes).optional(),
          ip: z.string().max(64).optional(),
          from: TimeParam.optional(),
          to: TimeParam.optional(),
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
      const q = request.query;
      const rows = await opts.audit.list({
        actor: q.actor,
        action: q.action,
        target: q.target,
        outcome: q.outcome,
        ip: q.ip,
        from: q.from,
        to: q.to,
        beforeId: q.before,
        limit: q.limit,
      });
      const last = rows.at(-1);
      return {
        items: rows.map((r) => ({ ...r, at: r.at.toISOString() })),
        nextBefore: rows.length === q.limit && last ? last.id : null,
      };
    },
  );
}
