// The admins' view of the running system (src/system): one read of readiness, journal, queue, broker,
// database, disks, alert engine, backups and notification failures, the same numbers /metrics shows.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SystemHealth } from '../../../system/index.ts';
import { Readiness } from '../../../system/readiness.ts';
import { ErrorBody } from '../../schemas.ts';

const Run = z
  .object({
    trigger: z.enum(['schedule', 'api', 'found']).describe('found: the newest file in BACKUP_DIR at start'),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    ok: z.boolean().nullable().describe('null while running'),
    file: z.string().nullable(),
    bytes: z.number().nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'BackupRun' });

export const BackupRunBody = Run;

const HealthBody = z.object({
  status: Readiness.shape.status,
  checkedAt: z.string(),
  readiness: Readiness,
  journal: z.object({
    mode: z.enum(['idle', 'active', 'full']).describe('active: ingest writes to the local journal'),
    bytes: z.number(),
    maxBytes: z.number().describe('JOURNAL_MAX_BYTES'),
  }),
  ingest: z.object({
    queueRows: z.number().describe('rows waiting for the database'),
    degraded: z.boolean(),
  }),
  broker: z.object({ ready: z.boolean(), connections: z.number().describe('connected MQTT clients') }),
  database: z.object({ embedded: z.boolean(), sizeBytes: z.number().nullable() }),
  disks: z.array(
    z.object({
      volume: z.enum(['data', 'database']),
      path: z.string(),
      freeBytes: z.number(),
      totalBytes: z.number(),
    }),
  ),
  rules: z.object({
    evaluating: z.boolean().describe('this instance runs the alert engine (the leader, with several)'),
    lagSeconds: z.number().describe('how long the transitions decided so far take to be stored'),
    eventLoopLagSeconds: z.number(),
  }),
  backups: z.object({
    lastSuccessAt: z.string().nullable(),
    lastSizeBytes: z.number().nullable(),
    failures: z.number().describe('failed backups since this instance started'),
    last: Run.nullable(),
    running: Run.nullable(),
  }),
  notifications: z.object({
    failedLastHour: z.number().nullable().describe('deliveries that failed for good in the last hour'),
  }),
});

export async function systemRoutes(app: FastifyInstance, opts: { system: SystemHealth }) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/system/health',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'getSystemHealth',
        summary: 'Tình trạng hệ thống cho quản trị viên / System health for admins',
        description:
          'Sẵn sàng (như /readyz), nhật ký tiếp nhận, hàng đợi, kết nối broker, dung lượng cơ sở dữ liệu và đĩa, độ trễ ' +
          'quy tắc cảnh báo, bản sao lưu gần nhất, thông báo lỗi trong một giờ; cùng số liệu với /metrics. / ' +
          'Readiness (as /readyz), the ingest journal, queue, broker connections, database and disk space, alert ' +
          'rule lag, the last backup, notifications failed in the last hour; the same numbers as /metrics.',
        tags: ['system'],
        response: { 200: HealthBody, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async () => opts.system.report(),
  );
}
