// One place maps every failure to the API's error shape {"error": {"code", "message"}} (docs/api.md) with the
// right status. A 5xx never shows internals: the caller gets a request id to quote, the log gets the rest.
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../../errors.ts';

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof AppError) {
      const retry = (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds;
      if (retry !== undefined) reply.header('retry-after', String(retry));
      return reply.code(error.statusCode).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      });
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({
        path: `${error.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}`,
        message: v.message ?? 'invalid',
      }));
      return reply.code(400).send({
        error: {
          code: 'VALIDATION_FAILED',
          message: issues.map((i) => `${i.path}: ${i.message}`).join('; '),
          details: issues,
        },
      });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      const code =
        status === 413
          ? 'PAYLOAD_TOO_LARGE'
          : status === 415 || status === 400
            ? 'VALIDATION_FAILED'
            : status === 429
              ? 'RATE_LIMITED'
              : status === 404
                ? 'NOT_FOUND'
                : 'VALIDATION_FAILED';
      return reply.code(status).send({ error: { code, message: error.message } });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({
      error: {
        code: 'INTERNAL',
        message: `internal error; quote request id ${request.id} to the administrator`,
      },
    });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` },
    });
  });
}
