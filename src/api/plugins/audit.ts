// One hook writes the audit trail of the API: every mutating request (who, what, target, from where,
// outcome) and every refused access by someone who presented credentials. Login and logout write
// their own entries (`config.audit: 'explicit'`). The write happens after the answer has gone out.
// Attempts by nobody identified (a garbage or forged token, a wrong API key) reach the audit without
// an actor role, and it counts them per minute instead of writing each (src/audit/index.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeJwt } from 'jose';
import type { Audit } from '../../audit/index.ts';
import { redactSecrets } from '../../log.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { AuditOutcome } from '../../storage/audit.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'explicit': the route writes its own audit entries (login, logout). */
    audit?: 'explicit';
  }
  interface FastifyRequest {
    auditErrorCode: string | undefined;
  }
}

const readOnly = new Set(['GET', 'HEAD', 'OPTIONS']);
const refusedStatuses = new Set([401, 403, 413, 429]);
const maxDetailBytes = 4_096;

export function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 || status === 429 ? 'denied' : 'failure';
}

/** What was acted on: the path parameters, else the id or username the body names. */
function targetOf(request: FastifyRequest): string | null {
  const params = Object.values((request.params ?? {}) as Record<string, unknown>).map(String);
  if (params.length > 0) return params.join('/').slice(0, 200);
  const body = request.body as Record<string, unknown> | undefined;
  const named = body && typeof body === 'object' ? (body.id ?? body.username ?? body.name) : undefined;
  return typeof named === 'string' ? named.slice(0, 200) : null;
}

/** The username a token claims, read without trusting it: who tried a forged or expired token. */
function claimedUser(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith('Bearer ')) return undefined;
  try {
    const sub = decodeJwt(header.slice(7).trim()).sub;
    return typeof sub === 'string' ? sub.slice(0, 64) : undefined;
  } catch {
    return undefined;
  }
}

function detailsOf(request: FastifyRequest): Record<string, unknown> {
  const details: Record<string, unknown> = {};
  if (request.auditErrorCode) details.error = request.auditErrorCode;
  // What an unidentified client sent is not kept: only that it tried, counted (src/audit/attempts.ts).
  if (request.principal && request.body !== undefined && request.body !== null) {
    const body = redactSecrets(request.body);
    const text = JSON.stringify(body) ?? '';
    details.body = text.length <= maxDetailBytes ? body : { truncated: true, bytes: text.length };
  }
  if (!request.principal) {
    const claimed = claimedUser(request);
    if (claimed) details.claimedUser = claimed;
  }
  return details;
}

export function installAuditTrail(app: FastifyInstance, audit: Audit, metrics: Metrics): void {
  app.decorateRequest('auditErrorCode', undefined);

  // The error code of a refusal, read from the error body the error handler produced.
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload) => {
    if (reply.statusCode >= 400 && typeof payload === 'string' && payload.length < 65_536) {
      try {
        request.auditErrorCode = JSON.parse(payload)?.error?.code;
      } catch {
        // not our error shape; the status says enough
      }
    }
    return payload;
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const status = reply.statusCode;
    if (refusedStatuses.has(status)) metrics.httpRefused.inc({ status: String(status) });
    const route = request.routeOptions.url;
    if (!route || request.routeOptions.config.audit === 'explicit') return;
    const presentedCredentials =
      request.headers.authorization !== undefined ||
      request.headers['x-api-key'] !== undefined ||
      request.principal !== undefined;
    const refusedAccess = status === 403 || status === 401;
    // Anonymous noise (no credentials at all) is counted in metrics, not written: it would let anyone
    // fill the audit table. Credentials nobody could be identified by are counted per minute by the
    // audit; every action by, or refusal of, an identified user is one entry.
    if (!presentedCredentials) return;
    if (readOnly.has(request.method) && !refusedAccess) return;
    await audit.record({
      actor: request.principal?.username ?? null,
      actorRole: request.principal?.role ?? null,
      action: `${request.method} ${route}`,
      target: targetOf(request),
      ip: request.ip,
      outcome: outcomeOf(status),
      status,
      details: detailsOf(request),
    });
  });
}
