// The audit trail: who did what, when, from where, and how it ended (Decree 85/2016 asks for it from
// level 2 up). One writer for the API hook and the explicit login/logout entries. Writing never throws
// into a request: a failed write is logged loudly and counted, the action itself already happened.
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import {
  type AuditEntry,
  type AuditQuery,
  type AuditRecord,
  insertAudit,
  listAudit,
} from '../storage/audit.ts';
import type { Pool } from '../storage/pool.ts';

export interface Audit {
  record(entry: AuditEntry): Promise<void>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
}

export function createAudit(deps: { pool: Pool; log: Logger; metrics: Metrics }): Audit {
  const { pool, log, metrics } = deps;
  return {
    async record(entry) {
      metrics.auditEntries.inc({ outcome: entry.outcome });
      try {
        await insertAudit(pool, entry);
      } catch (error) {
        metrics.auditWriteFailures.inc();
        log.error(
          { err: error, action: entry.action, actor: entry.actor },
          'audit entry could not be stored',
        );
      }
    },
    list: (query) => listAudit(pool, query),
  };
}
