// Readings counted by the hourly rollup for a device: telemetry_hourly plus what waits to be folded
// into it (telemetry_pending, migration 009; telemetry_hourly_delta before it). Equal to the raw
// reading count when nothing was counted twice (a replayed or redelivered reading adds nothing).
import type pg from 'pg';

export async function hourlyRollupCount(client: pg.Client | pg.Pool, deviceId: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT (SELECT coalesce(sum(count), 0) FROM telemetry_hourly WHERE device_id = $1)
          + (SELECT coalesce(sum(count), 0) FROM telemetry_hourly_delta WHERE device_id = $1)
          + (SELECT count(*) FROM telemetry_pending p, jsonb_object_keys(p.metrics) WHERE p.device_id = $1)
          AS n`,
    [deviceId],
  );
  return Number(rows[0]?.n ?? 0);
}
