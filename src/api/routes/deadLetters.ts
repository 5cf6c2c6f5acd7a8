// Refused MQTT messages, newest first, so an operator can see what a misbehaving device sends; each
// with whose fault it is (the device owner's or the IOC's) and what to do, in Vietnamese and English.
// A scoped operator sees those of the devices in their scope; an installer those naming its devices
// (src/storage/deviceScope.ts), so a vendor reads its own devices' mistakes and no one else's.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { deadLetterReasonInfo, deadLetterReasons, isDeadLetterReason } from '../../errors.ts';
import { listDeadLetters } from '../../storage/deadLetters.ts';
import type { Pool } from '../../storage/pool.ts';
import { callerReach } from '../plugins/roles.ts';
import { ErrorBody, TimeParam } from '../schemas.ts';

export async function deadLetterRoutes(app: FastifyInstance, opts: { pool: Pool }) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/dead-letters',
    {
      config: { role: 'operator', installer: true },
      schema: {
        operationId: 'listDeadLetters',
        summary: 'Tin MQTT bị từ chối / Refused MQTT messages',
        description:
          'Mới nhất trước, kèm lỗi của ai và cách xử lý; trang sau bằng `before`. / ' +
          'Newest first, with whose fault it is and what to do; page with `before`.',
        tags: ['dead letters'],
        querystring: z.object({
          deviceId: z.string().max(64).optional(),
          reason: z.enum(deadLetterReasons).optional(),
          from: TimeParam.optional(),
          before: z.coerce.number().int().positive().optional().describe('page: ids below this one'),
          limit: z.coerce.number().int().min(1).max(1_000).default(100),
        }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                id: z.number(),
                receivedAt: z.string(),
                deviceId: z.string().nullable(),
                topic: z.string(),
                reason: z.string(),
                fault: z
                  .enum(['device', 'ioc'])
                  .nullable()
                  .describe("who must act: the device's owner, or the IOC's operators (our fault)"),
                description: z
                  .object({ vi: z.string(), en: z.string() })
                  .nullable()
                  .describe('what the reason means and what to do, in Vietnamese and English'),
                message: z.string(),
                payload: z.string().nullable().describe('the first 4 KiB as text (invalid UTF-8 replaced)'),
                payloadBytes: z.number(),
              }),
            ),
          }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const rows = await listDeadLetters(opts.pool, {
        deviceId: q.deviceId,
        reason: q.reason,
        from: q.from,
        beforeId: q.before,
        limit: q.limit,
        ...callerReach(request),
      });
      return {
        items: rows.map((r) => {
          const info = isDeadLetterReason(r.reason) ? deadLetterReasonInfo[r.reason] : undefined;
          return {
            id: r.id,
            receivedAt: r.receivedAt.toISOString(),
            deviceId: r.deviceId,
            topic: r.topic,
            reason: r.reason,
            fault: info?.fault ?? null,
            description: info ? { vi: info.vi, en: info.en } : null,
            message: r.message,
            payload:
              r.payloadBase64 === null ? null : Buffer.from(r.payloadBase64, 'base64').toString('utf8'),
            payloadBytes: r.payloadBytes,
          };
        }),
      };
    },
  );
}
