// Raw telemetry is kept TELEMETRY_RETENTION_DAYS. Under TimescaleDB a retention policy drops whole
// chunks; on plain PostgreSQL an in-process job deletes old rows in small batches every hour.
import type { Logger } from '../log.ts';
import { everyHour } from './hourly.ts';
import { hasTimescale, type Pool } from './pool.ts';

export interface Retention {
  start(): Promise<void>;
  stop(): void;
  /** One pass of the plain-PostgreSQL deletion; returns messages deleted. */
  runOnce(now?: Date): Promise<number>;
}

export function createRetention(deps: { pool: Pool; log: Logger; days: number }): Retention {
  const { pool, log, days } = deps;
  let stopPasses: (() => void) | undefined;

  async function runOnce(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    let total = 0;
    for (;;) {
      const result = await pool.query(
        `DELETE FROM telemetry_messages
         WHERE ctid = ANY(ARRAY(SELECT ctid FROM telemetry_messages WHERE time < $1 LIMIT 10000))`,
        [cutoff],
      );
      total += result.rowCount ?? 0;
      if ((result.rowCount ?? 0) < 10_000) return total;
    }
  }

  return {
    async start() {
      if (await hasTimescale(pool)) {
        await pool.query("SELECT remove_retention_policy('telemetry_messages', if_exists => true)");
        await pool.query('SELECT add_retention_policy($1, make_interval(days => $2::int))', [
          'telemetry_messages',
          days,
        ]);
        log.info({ days }, 'TimescaleDB retention policy set on telemetry_messages');
        return;
      }
      const tick = () =>
        runOnce().then(
          (n) => n > 0 && log.info({ deleted: n, days }, 'old telemetry deleted'),
          (error) => log.warn({ err: error }, 'telemetry retention pass failed; will retry in an hour'),
        );
      stopPasses = everyHour(tick, 60_000);
    },
    stop() {
      stopPasses?.();
    },
    runOnce,
  };
}
