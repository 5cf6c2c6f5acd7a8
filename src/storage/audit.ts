// The audit log table (migrations/007_audit.sql): append and read, nothing else. The table itself
// refuses UPDATE and DELETE, so there is deliberately no query here that could try.
import type { Pool } from './pool.ts';

export const auditOutcomes = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof auditOutcomes)[number];

export interface AuditEntry {
  actor: string | null;
  actorRole: string | null;
  action: string;
  target: string | null;
  ip: string;
  outcome: AuditOutcome;
  status: number | null;
  details: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  id: number;
  at: Date;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: AuditOutcome;
  ip?: string;
  /**
   * An area (or unit) id: entries that name it, as their target (an area's own routes), as `city`,
   * `ward` or `area` in the body or query they record, or in their details as `area`.
   */
  area?: string;
  from?: Date;
  to?: Date;
  beforeId?: number;
  limit: number;
}

export async function insertAudit(pool: Pool, e: AuditEntry): Promise<void> {
  await pool.query(
    `INSERT INTO audit_log (actor, actor_role, action, target, ip, outcome, status, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.actor, e.actorRole, e.action, e.target, e.ip, e.outcome, e.status, JSON.stringify(e.details)],
  );
}

/** Several entries in one statement (the minute's counted attempts): one round trip, all or none. */
export async function insertAuditRows(pool: Pool, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const values: unknown[] = [];
  const rows = entries.map((e, i) => {
    values.push(
      e.actor,
      e.actorRole,
      e.action,
      e.target,
      e.ip,
      e.outcome,
      e.status,
      JSON.stringify(e.details),
    );
    const n = i * 8;
    return `($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4}, $${n + 5}, $${n + 6}, $${n + 7}, $${n + 8}::jsonb)`;
  });
  await pool.query(
    `INSERT INTO audit_log (actor, actor_role, action, target, ip, outcome, status, details)
     VALUES ${rows.join(', ')}`,
    values,
  );
}

export async function listAudit(pool: Pool, q: AuditQuery): Promise<AuditRecord[]> {
  const { rows } = await pool.query<AuditRecord>(
    `SELECT id::int, at, actor, actor_role AS "actorRole", action, target, ip, outcome, status, details
     FROM audit_log
     WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)
       AND ($3::text IS NULL OR target = $3) AND ($4::text IS NULL OR outcome = $4)
       AND ($5::text IS NULL OR ip = $5) AND ($6::timestamptz IS NULL OR at >= $6)
       AND ($7::timestamptz IS NULL OR at < $7) AND ($8::bigint IS NULL OR id < $8)
       AND ($10::text IS NULL OR target = $10 OR details->>'area' = $10
         OR $10 IN (details->'body'->>'city', details->'body'->>'ward', details->'body'->>'area',
                    details->'query'->>'city', details->'query'->>'ward', details->'query'->>'area'))
     ORDER BY id DESC LIMIT $9`,
    [
      q.actor ?? null,
      q.action ?? null,
      q.target ?? null,
      q.outcome ?? null,
      q.ip ?? null,
      q.from ?? null,
      q.to ?? null,
      q.beforeId ?? null,
      q.limit,
      q.area ?? null,
    ],
  );
  return rows;
}
