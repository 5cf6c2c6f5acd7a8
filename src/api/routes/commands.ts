// Device commands over HTTP: operators send, everyone may follow what became of them, each within their
// scope (a device outside it is not found).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Commands } from '../../commands/index.ts';
import { AppError } from '../../errors.ts';
import type { CommandRecord } from '../../storage/commands.ts';
import { callerScope } from '../plugins/roles.ts';
import { DeviceParams, ErrorBody } from '../schemas.ts';

const CommandBody = z.object({
  id: z.string(),
  deviceId: z.string(),
  name: z.string(),
  args: z.record(z.string(), z.unknown()),
  state: z.enum(['pending', 'succeeded', 'failed', 'timed_out']),
  requestedBy: z.string(),
  requestedAt: z.string(),
  sentAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  timeoutAt: z.string(),
  result: z.record(z.string(), z.unknown()).nullable(),
});

const json = (c: CommandRecord): z.infer<typeof CommandBody> => ({
  ...c,
  requestedAt: c.requestedAt.toISOString(),
  sentAt: c.sentAt ? c.sentAt.toISOString() : null,
  completedAt: c.completedAt ? c.completedAt.toISOString() : null,
  timeoutAt: c.timeoutAt.toISOString(),
});

export async function commandRoutes(app: FastifyInstance, opts: { commands: Commands }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

  r.post(
    '/devices/:id/commands',
    {
      config: { role: 'operator' },
      schema: {
        operationId: 'sendDeviceCommand',
        summary: 'Gửi lệnh tới thiết bị / Send a command to a device',
        description:
          'Ví dụ set_lamp của đèn đường, reboot của camera, ping; theo dõi bằng GET. / ' +
          'E.g. streetlight set_lamp, camera reboot, ping; follow it with GET.',
        tags: ['commands'],
        params: DeviceParams,
        body: z
          .object({ name: z.string().min(1).max(64), args: z.record(z.string(), z.unknown()).default({}) })
          .strict(),
        response: { 202: CommandBody, ...errors },
      },
    },
    async (request, reply) => {
      const command = await opts.commands.send(
        request.params.id,
        request.body.name,
        request.body.args,
        request.principal!.username,
        callerScope(request),
      );
      return reply.code(202).send(json(command));
    },
  );

  r.get(
    '/devices/:id/commands',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'listDeviceCommands',
        summary: 'Các lệnh gần đây của thiết bị / A device’s recent commands',
        tags: ['commands'],
        params: DeviceParams,
        response: { 200: z.object({ items: z.array(CommandBody) }), ...errors },
      },
    },
    async (request) => ({
      items: (await opts.commands.list(request.params.id, 100, callerScope(request))).map(json),
    }),
  );

  r.get(
    '/devices/:id/commands/:commandId',
    {
      config: { role: 'viewer' },
      schema: {
        operationId: 'getDeviceCommand',
        summary: 'Một lệnh và kết quả của nó / A command and what became of it',
        tags: ['commands'],
        params: DeviceParams.extend({ commandId: z.uuid() }),
        response: { 200: CommandBody, ...errors },
      },
    },
    async (request) => {
      const command = await opts.commands.get(
        request.params.id,
        request.params.commandId,
        callerScope(request),
      );
      if (!command)
        throw new AppError(
          'NOT_FOUND',
          `command ${request.params.commandId} of ${request.params.id} does not exist`,
        );
      return json(command);
    },
  );
}
