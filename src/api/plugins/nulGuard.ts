// PostgreSQL text and jsonb cannot hold U+0000, so a NUL byte in a filter, a path or a body would
// reach the database and come back as a 500. Refused at the door instead, as a 400 that says why
// (the same rule ingest applies to MQTT payloads).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.ts';

/** The path (e.g. `query.ward`) of the first string holding U+0000, if any. */
export function findNul(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (depth > 32 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
    const found = findNul(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return undefined;
}

export function installNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const found =
      findNul(request.params, 'params') ?? findNul(request.query, 'query') ?? findNul(request.body, 'body');
    if (found)
      throw new AppError('VALIDATION_FAILED', `${found}: text must not contain the NUL character (U+0000)`);
  });
}
