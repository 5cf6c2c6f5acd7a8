// The audit trail: who did what, when, from where, and how it ended (Decree 85/2016 asks for it from
// level 2 up). One writer for the API hook and the explicit login/logout entries. Writing never throws
// into a request: a failed write is logged loudly and counted, the action itself already happened.
//
// The log records what someone did, not what an anonymous client sent. An entry with no actor role
// comes from nobody the IOC identified (a bad token or API key, a failed or throttled login): those
// are counted per source address, action and outcome, and written as one row per minute
// (./attempts.ts), so nobody can fill the append-only table from outside. Identified users' actions,
// refusals included, stay one row each.
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import {
  type AuditEntry,
  type AuditQuery,
  type AuditRecord,
  insertAudit,
  insertAuditRows,
  listAudit,
} from '../storage/audit.ts';
import type { Pool } from '../storage/pool.ts';
import { createAttemptCounter } from './attempts.ts';

export interface Audit {
  record(entry: AuditEntry): Promise<void>;
  list(query: AuditQuery): Promise<AuditRecord[]>;
  /** Writes the counted attempts now, the current minute's too (at shutdown; tests). */
  flush(): Promise<void>;
  /** Writes what is counted and stops the minute timer. */
  stop(): Promise<void>;
}

/**
 * 100 tallies a minute: a control room's expired sessions and mistyped passwords fit many times over;
 * beyond it many addresses are at it at once, and one row with their count says so as well as more.
 */
export const attemptLimits = { maxKeys: 100, maxNames: 20 };

export function createAudit(deps: {
  pool: Pool;
  log: Logger;
  metrics: Metrics;
  limits?: { maxKeys: number; maxNames: number };
  now?: () => number;
}): Audit {
  const { pool, log, metrics } = deps;
  const now = deps.now ?? Date.now;
  const attempts = createAttemptCounter({ ...(deps.limits ?? attemptLimits), now });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const write = async (entries: AuditEntry[]) => {
    if (entries.length === 0) return;
    try {
      await insertAuditRows(pool, entries);
    } catch (error) {
      metrics.auditWriteFailures.inc(entries.length);
      log.error(
        {
          err: error,
          rows: entries.length,
          actions: [...new Set(entries.map((e) => e.action))].slice(0, 10),
        },
        'counted audit attempts could not be stored',
      );
    }
  };
  // Armed while something is counted, for the end of the oldest minute held: an idle IOC runs no timer.
  const arm = () => {
    const end = attempts.nextEnd();
    if (timer || stopped || end === undefined) return;
    // A second past the minute, so the minute has ended by any reading of the clock.
    timer = setTimeout(
      () => {
        timer = undefined;
        void write(attempts.take(false)).finally(arm);
      },
      Math.max(0, end - now()) + 1_000,
    );
    timer.unref();
  };

  return {
    async record(entry) {
      metrics.auditEntries.inc({ outcome: entry.outcome });
      if (entry.actorRole === null) {
        attempts.add(entry);
        arm();
        return;
      }
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
    flush: () => write(attempts.take(true)),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      await write(attempts.take(true));
    },
  };
}
