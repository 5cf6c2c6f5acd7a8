// POST /api/v1/auth/login: username and password in, a bearer token out.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Auth } from '../../auth/index.ts';
import { ErrorBody } from '../schemas.ts';

export async function authRoutes(app: FastifyInstance, opts: { auth: Auth }) {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/auth/login',
    {
      config: { role: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in; the token goes in `Authorization: Bearer <token>`',
        body: z
          .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
          .strict(),
        response: {
          200: z.object({
            token: z.string(),
            expiresAt: z.string(),
            role: z.enum(['viewer', 'operator', 'admin']),
          }),
          401: ErrorBody,
        },
      },
    },
    async (request) => {
      const { token, expiresAt, role } = await opts.auth.login(request.body.username, request.body.password);
      return { token, expiresAt: expiresAt.toISOString(), role };
    },
  );
}
