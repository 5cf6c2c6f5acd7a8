// What an admin does to an account beyond PATCH /users/:username (role, scope, a chosen password,
// disabling): a password reset to a generated one, shown once, and lifting a lockout. Both end what
// they must through the existing mechanism: a new password bumps the token version (every session of
// the account ends, its live sockets too) and lifts a lockout; an unlock forgets the failed logins.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { usernamePattern, usernameRule } from '../../../auth/accountRules.ts';
import type { Auth } from '../../../auth/index.ts';
import { AppError } from '../../../errors.ts';
import type { UserQueries } from '../../../storage/users.ts';
import { ErrorBody } from '../../schemas.ts';

const Params = z.object({ username: z.string().max(64).regex(usernamePattern, usernameRule) });

/** 18 random bytes: 24 characters a person can type from a screen, well over the 12 required. */
const generatePassword = () => randomBytes(18).toString('base64url');

const notFound = (username: string) =>
  new AppError('NOT_FOUND', `không có người dùng ${username} / user ${username} does not exist`);

export async function adminUserRoutes(app: FastifyInstance, opts: { auth: Auth; users: UserQueries }) {
  const { auth, users } = opts;
  const r = app.withTypeProvider<ZodTypeProvider>();
  const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

  r.post(
    '/users/:username/password-reset',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'resetUserPassword',
        summary: 'Đặt lại mật khẩu thành mật khẩu sinh ngẫu nhiên / Reset a password to a generated one',
        description:
          'Mật khẩu mới chỉ hiện trong câu trả lời này; mọi phiên của tài khoản kết thúc và khoá đăng nhập được gỡ. ' +
          'Người dùng nên đổi nó (POST /auth/password). / The new password appears in this answer only; every ' +
          'session of the account ends and a lockout is lifted. The user should change it (POST /auth/password).',
        tags: ['users'],
        params: Params,
        response: {
          200: z.object({ username: z.string(), password: z.string().describe('shown this once') }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { username } = request.params;
      const password = generatePassword();
      if (!(await users.update(username, { passwordHash: await auth.hashPassword(password) })))
        throw notFound(username);
      await auth.passwordChanged(username);
      return reply.header('cache-control', 'no-store').send({ username, password });
    },
  );

  r.post(
    '/users/:username/unlock',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'unlockUser',
        summary: 'Mở khoá tài khoản bị khoá do đăng nhập sai / Lift a lockout after failed logins',
        description: 'Mật khẩu và phiên giữ nguyên. / The password and sessions stay as they are.',
        tags: ['users'],
        params: Params,
        response: {
          200: z.object({
            username: z.string(),
            wasLocked: z
              .boolean()
              .describe('false: the account was not locked; nothing changed but its failure count'),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const { username } = request.params;
      const result = await users.unlock(username);
      if (!result) throw notFound(username);
      auth.forget(username);
      return { username, wasLocked: result.wasLocked };
    },
  );
}
