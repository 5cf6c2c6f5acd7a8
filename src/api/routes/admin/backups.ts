// Backups from the admins' pages: the files in BACKUP_DIR, a backup started now (one at a time, the
// nightly one included: a second request joins nothing and is told one is running), and a file
// downloaded as a stream. A backup holds every reading and account hash, so each download is audited.
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Audit } from '../../../audit/index.ts';
import { listBackups } from '../../../backup/index.ts';
import type { BackupScheduler, SchedulerConfig } from '../../../backup/scheduler.ts';
import { AppError } from '../../../errors.ts';
import { mediaResponse } from '../../openapi/responses.ts';
import { ErrorBody } from '../../schemas.ts';
import { recordRead } from './auditRead.ts';
import { BackupRunBody } from './system.ts';

const BackupFile = z.object({
  name: z.string().describe('what GET /backups/{name} downloads'),
  bytes: z.number(),
  at: z.string(),
  ok: z.boolean().describe('a complete file (half-written ones are not listed)'),
});

const Status = z.object({ running: BackupRunBody.nullable(), last: BackupRunBody.nullable() });

export interface BackupAccess {
  scheduler: Pick<BackupScheduler, 'backupNow' | 'status'>;
  config: Pick<SchedulerConfig, 'BACKUP_DIR' | 'DATA_DIR'>;
}

const wire = (run: ReturnType<BackupAccess['scheduler']['status']>['last']) =>
  run && {
    trigger: run.trigger,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    ok: run.ok,
    file: run.file && basename(run.file),
    bytes: run.bytes,
    error: run.error,
  };

export async function backupRoutes(app: FastifyInstance, opts: { backups: BackupAccess; audit: Audit }) {
  const { scheduler, config } = opts.backups;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const status = () => {
    const s = scheduler.status();
    return { running: wire(s.running), last: wire(s.last) };
  };

  r.get(
    '/backups',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'listBackups',
        summary: 'Các bản sao lưu / Backups',
        description:
          'Tệp trong BACKUP_DIR, mới nhất trước, cùng bản đang chạy và lần chạy gần nhất (có lỗi nếu thất bại). / ' +
          'The files in BACKUP_DIR, newest first, with the one running and the last run (its error if it failed).',
        tags: ['system'],
        response: {
          200: z.object({ items: z.array(BackupFile), ...Status.shape }),
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async () => ({
      items: (await listBackups(config)).map((b) => ({
        name: basename(b.file),
        bytes: b.bytes,
        at: b.at.toISOString(),
        ok: true,
      })),
      ...status(),
    }),
  );

  r.post(
    '/backups',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'startBackup',
        summary: 'Sao lưu ngay / Back up now',
        description:
          '202: đã bắt đầu, theo dõi bằng GET /backups. 409 khi một bản sao lưu đang chạy. / ' +
          '202: started, follow it with GET /backups. 409 while a backup is running.',
        tags: ['system'],
        response: { 202: Status, 401: ErrorBody, 403: ErrorBody, 409: ErrorBody },
      },
    },
    async (_request, reply) => {
      const running = scheduler.status().running;
      if (running)
        throw new AppError(
          'CONFLICT',
          `một bản sao lưu đang chạy từ ${running.startedAt.toISOString()} / a backup is running since ${running.startedAt.toISOString()}`,
          { running: wire(running) },
        );
      // Its outcome is logged, alerted on failure and shown by GET /backups.
      scheduler.backupNow('api').catch(() => {});
      return reply.code(202).send(status());
    },
  );

  r.get(
    '/backups/:name',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'downloadBackup',
        summary: 'Tải một bản sao lưu / Download a backup',
        description: 'Ghi vào nhật ký kiểm toán. / Written to the audit log.',
        tags: ['system'],
        params: z.object({
          name: z
            .string()
            .max(64)
            .regex(/^ioc-[0-9_-]+\.(tar\.gz|dump)$/, 'a name from GET /backups'),
        }),
        response: {
          200: mediaResponse('application/octet-stream', 'Tệp sao lưu / The backup file'),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      // Only a file the listing shows: a name never becomes a path of its own.
      const found = (await listBackups(config)).find((b) => basename(b.file) === name);
      if (!found) {
        await recordRead(opts.audit, request, { target: name, status: 404 });
        throw new AppError(
          'NOT_FOUND',
          `không có bản sao lưu ${name} / no backup ${name}; see GET /api/v1/backups`,
        );
      }
      await recordRead(opts.audit, request, { target: name, status: 200, details: { bytes: found.bytes } });
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(found.bytes))
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(createReadStream(found.file));
    },
  );
}
