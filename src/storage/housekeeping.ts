// Housekeeping without an operator, beside raw telemetry's retention (retention.ts): rollups kept
// ROLLUP_RETENTION_DAYS (years: the province's monthly and yearly reports read them), dead letters
// DEAD_LETTER_RETENTION_DAYS, finished webhook deliveries WEBHOOK_LOG_RETENTION_DAYS. Hourly, in small
// batches so no pass holds locks for long; a hypertable (telemetry_hourly under TimescaleDB) gets a
// retention policy instead. The audit log is never pruned here: its trigger refuses DELETE on purpose
// (migrations/007_audit.sql), and Decree 85 asks that logs be kept; see docs/decisions/0008-journal.md.
import type { Logger } from '../log.ts';
import { everyHour } from './hourly.ts';
import { hasTimescale, type Pool } from './pool.ts';

export interface HousekeepingDays {
  rollups: number;
  deadLetters: number;
  webhookDeliveries: number;
}

interface Target {
  table: string;
  column: string;
  days: (d: HousekeepingDays) => number;
  /** Extra condition: rows that must stay whatever their age. */
  keep?: string;
}

const targets: Target[] = [
  { table: 'telemetry_hourly', column: 'hour', days: (d) => d.rollups },
  { table: 'telemetry_daily', column: 'day', days: (d) => d.rollups },
  { table: 'indicator_hourly', column: 'hour', days: (d) => d.rollups },
  { table: 'indicator_daily', column: 'day', days: (d) => d.rollups },
  { table: 'dead_letters', column: 'received_at', days: (d) => d.deadLetters },
  // A delivery still being retried stays until it is delivered or given up.
  {
    table: 'webhook_deliveries',
    column: 'created_at',
    days: (d) => d.webhookDeliveries,
    keep: "state = 'pending'",
  },
];

export interface Housekeeping {
  start(): Promise<void>;
  stop(): void;
  /** One pass; returns rows deleted per table. */
  runOnce(now?: Date): Promise<Record<string, number>>;
}

export function createHousekeeping(deps: { pool: Pool; log: Logger; days: HousekeepingDays }): Housekeeping {
  const { pool, log, days } = deps;
  let stopPasses: (() => void) | undefined;
  // Tables a TimescaleDB policy looks after (found at start).
  const byPolicy = new Set<string>();

  async function prune(target: Target, cutoff: Date): Promise<number> {
    let total = 0;
    const keep = target.keep ? `AND NOT (${target.keep})` : '';
    for (;;) {
      const result = await pool.query(
        `DELETE FROM ${target.table} WHERE ctid = ANY(ARRAY(
           SELECT ctid FROM ${target.table} WHERE ${target.column} < $1 ${keep} LIMIT 10000))`,
        [cutoff],
      );
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < 10_000) return total;
    }
  }

  async function runOnce(now = new Date()): Promise<Record<string, number>> {
    const deleted: Record<string, number> = {};
    for (const target of targets) {
      if (byPolicy.has(target.table)) continue;
      const cutoff = new Date(now.getTime() - target.days(days) * 86_400_000);
      deleted[target.table] = await prune(target, cutoff);
    }
    return deleted;
  }

  return {
    async start() {
      if (await hasTimescale(pool)) {
        const { rows } = await pool.query<{ table: string }>(
          'SELECT hypertable_name AS table FROM timescaledb_information.hypertables',
        );
        for (const target of targets) {
          if (!rows.some((r) => r.table === target.table)) continue;
          await pool.query('SELECT remove_retention_policy($1, if_exists => true)', [target.table]);
          await pool.query('SELECT add_retention_policy($1, make_interval(days => $2::int))', [
            target.table,
            target.days(days),
          ]);
          byPolicy.add(target.table);
        }
        if (byPolicy.size > 0) log.info({ tables: [...byPolicy] }, 'TimescaleDB retention policies set');
      }
      const tick = () =>
        runOnce().then(
          (deleted) => {
            const total = Object.values(deleted).reduce((a, b) => a + b, 0);
            if (total > 0) log.info({ deleted, days }, 'housekeeping: old rows pruned');
          },
          (error) => log.warn({ err: error }, 'housekeeping pass failed; will retry in an hour'),
        );
      stopPasses = everyHour(tick, 90_000);
    },
    stop() {
      stopPasses?.();
    },
    runOnce,
  };
}
