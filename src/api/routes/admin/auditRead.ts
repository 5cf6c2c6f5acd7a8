// The audit hook writes every change; these reads carry data out of the IOC (device lists, the audit
// log itself, database backups), so the routes that serve them write their own entry as well.
import type { FastifyRequest } from 'fastify';
import type { Audit } from '../../../audit/index.ts';

export async function recordRead(
  audit: Audit,
  request: FastifyRequest,
  entry: { target: string | null; status: number; details?: Record<string, unknown> },
): Promise<void> {
  await audit.record({
    actor: request.principal?.username ?? null,
    actorRole: request.principal?.role ?? null,
    action: `${request.method} ${request.routeOptions.url}`,
    target: entry.target,
    ip: request.ip,
    outcome: entry.status < 400 ? 'success' : 'failure',
    status: entry.status,
    details: { ...(entry.details ?? {}), query: request.query },
  });
}
