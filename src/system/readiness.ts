// Whether this instance can serve, as /readyz answers a supervisor and GET /system/health shows an
// admin: the database answers within 2 s, the broker is up, and where the ingest journal stands.
// 'degraded' while ingest runs on the journal (devices are still acknowledged); 'not_ready' when the
// broker is down or the journal is full (publishers are held back).
import { z } from 'zod';
import type { Broker } from '../broker/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Pool } from '../storage/pool.ts';

export const Readiness = z.object({
  status: z.enum(['ready', 'degraded', 'not_ready']),
  checks: z.object({
    database: z.enum(['ok', 'failing']),
    broker: z.enum(['ok', 'failing']),
    journal: z.object({
      state: z.enum(['idle', 'active', 'full']),
      bytes: z.number(),
    }),
  }),
});
export type Readiness = z.infer<typeof Readiness>;

/** A gauge's or counter's current value as /metrics would show it (its collect hook runs). */
export async function metricValue(metric: { get(): Promise<{ values: Array<{ value: number }> }> }) {
  return (await metric.get()).values[0]?.value ?? 0;
}

/**
 * A checker for one caller. A full journal shows as writes that waited since this caller's last look,
 * so /readyz and the admins' page each keep their own count and neither hides it from the other.
 */
export function createReadiness(deps: { pool: Pool; broker: Pick<Broker, 'ready'>; metrics: Metrics }) {
  let fullSeen = 0;
  return async function check(): Promise<Readiness> {
    const database = await Promise.race([
      deps.pool.query('SELECT 1').then(() => 'ok' as const),
      new Promise<'failing'>((ok) => setTimeout(() => ok('failing'), 2_000).unref()),
    ]).catch(() => 'failing' as const);
    const broker = deps.broker.ready() ? ('ok' as const) : ('failing' as const);
    const degraded = (await metricValue(deps.metrics.ingestDegraded)) === 1;
    const bytes = await metricValue(deps.metrics.journalBytes);
    const fullCount = await metricValue(deps.metrics.journalFull);
    const full = degraded && fullCount > fullSeen;
    fullSeen = fullCount;
    const journal = {
      state: full ? ('full' as const) : degraded ? ('active' as const) : ('idle' as const),
      bytes,
    };
    const status =
      broker === 'failing' || full
        ? ('not_ready' as const)
        : database === 'failing' || degraded
          ? ('degraded' as const)
          : ('ready' as const);
    return { status, checks: { database, broker, journal } };
  };
}
