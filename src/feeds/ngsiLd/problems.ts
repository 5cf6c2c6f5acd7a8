// Errors of the NGSI-LD routes as ProblemDetails (IETF RFC 7807) with the NGSI-LD error types of
// ETSI GS CIM 009, 5.5.2 (BadRequestData 400, ResourceNotFound 404, InternalError 500, ...), instead of
// the IOC's {"error": {...}} body: an NGSI-LD client reads `type`. Statuses the specification gives no
// type (401, 403, 406, 429) are `about:blank` with the HTTP title, as RFC 7807 says. Every problem
// keeps the IOC's error code beside it.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError } from '../../errors.ts';

const errorTypes = 'https://uri.etsi.org/ngsi-ld/errors/';

export type NgsiErrorType = 'BadRequestData' | 'InvalidRequest' | 'ResourceNotFound' | 'InternalError';

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const statusOf: Record<NgsiErrorType, number> = {
  BadRequestData: 400,
  InvalidRequest: 400,
  ResourceNotFound: 404,
  InternalError: 500,
};

/** An NGSI-LD error raised by the feed's own checks. */
export class NgsiProblem extends Error {
  override name = 'NgsiProblem';
  readonly statusCode: number;
  constructor(
    readonly errorType: NgsiErrorType | 'NotAcceptable',
    readonly detail: string,
  ) {
    super(detail);
    this.statusCode = errorType === 'NotAcceptable' ? 406 : statusOf[errorType];
  }
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code?: string;
}

function typeFor(status: number): string {
  if (status === 400) return `${errorTypes}BadRequestData`;
  if (status === 404) return `${errorTypes}ResourceNotFound`;
  if (status >= 500) return `${errorTypes}InternalError`;
  return 'about:blank';
}

function problem(status: number, detail: string, code?: string, type = typeFor(status)): ProblemDetails {
  return { type, title: titles[status] ?? 'Error', status, detail, ...(code ? { code } : {}) };
}

export function toProblem(error: FastifyError | Error, request: FastifyRequest): ProblemDetails {
  if (error instanceof NgsiProblem) {
    return error.errorType === 'NotAcceptable'
      ? problem(406, error.detail, 'NOT_ACCEPTABLE')
      : problem(error.statusCode, error.detail, 'VALIDATION_FAILED', `${errorTypes}${error.errorType}`);
  }
  if (error instanceof AppError) return problem(error.statusCode, error.message, error.code);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const detail = error.validation
      .map(
        (v) =>
          `${error.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}: ${v.message ?? 'invalid'}`,
      )
      .join('; ');
    return problem(400, detail, 'VALIDATION_FAILED');
  }
  const status = (error as FastifyError).statusCode ?? 500;
  if (status < 500) return problem(status, error.message);
  return problem(500, `internal error; quote request id ${request.id} to the administrator`, 'INTERNAL');
}

/** The routes' error handler: ProblemDetails as application/json, Retry-After kept for 429. */
export function sendProblem(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  const body = toProblem(error, request);
  if (body.status >= 500) request.log.error({ err: error }, 'NGSI-LD request failed');
  const retry =
    error instanceof AppError
      ? (error.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds
      : undefined;
  if (retry !== undefined) reply.header('retry-after', String(retry));
  return reply.code(body.status).type('application/json; charset=utf-8').send(body);
}
