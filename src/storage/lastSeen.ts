// devices.last_seen: when each device was last heard from, stamped in bulk (ingest gathers the stamps
// and writes them every few seconds, never per message). A stamp never moves a device back in time.
import type { Pool } from './pool.ts';

export async function touchLastSeen(pool: Pool, seen: Map<string, Date>): Promise<void> {
  if (seen.size === 0) return;
  await pool.query(
    `UPDATE devices SET last_seen = s.t FROM unnest($1::text[], $2::timestamptz[]) AS s(d, t)
     WHERE devices.id = s.d AND (devices.last_seen IS NULL OR devices.last_seen < s.t)`,
    [[...seen.keys()], [...seen.values()]],
  );
}
