// Rows counted by the hourly rollup for a device: telemetry_hourly plus, where the batch's partial
// aggregates wait to be folded in (migration 008), telemetry_hourly_delta. Equal to the raw row count
// when nothing was counted twice (a replayed or redelivered reading adds nothing).
import type pg from 'pg';

export async function hourlyRollupCount(client: pg.Client | pg.Pool, deviceId: string): Promise<number> {
  const { rows } = await client.query<{ delta: boolean }>(
    "SELECT to_regclass('telemetry_hourly_delta') IS NOT NULL AS delta",
  );
  const tables = rows[0]?.delta ? ['telemetry_hourly', 'telemetry_hourly_delta'] : ['telemetry_hourly'];
  let total = 0;
  for (const table of tables) {
    const result = await client.query<{ n: number }>(
      `SELECT coalesce(sum(count), 0)::int AS n FROM ${table} WHERE device_id = $1`,
      [deviceId],
    );
    total += result.rows[0]?.n ?? 0;
  }
  return total;
}
