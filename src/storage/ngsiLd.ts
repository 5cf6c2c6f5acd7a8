// What the NGSI-LD entities are made from: the devices of one kind with the latest value and time of
// each of their metrics (device_latest), in id order.
import type { Pool } from './pool.ts';

export interface LatestOfDevice {
  id: string;
  city: string;
  ward: string;
  lat: number;
  lon: number;
  name: string;
  /** Per metric: `t`, the reading's time as PostgreSQL writes it in JSON, and `v`, its value; null: none yet. */
  latest: Record<string, { t: string; v: number }> | null;
}

export async function readLatestOfKind(
  pool: Pool,
  q: { kind: string; city?: string | undefined; ward?: string | undefined; limit: number },
): Promise<LatestOfDevice[]> {
  const { rows } = await pool.query<LatestOfDevice>(
    `SELECT d.id, d.city, d.ward, d.lat, d.lon, d.name,
            jsonb_object_agg(l.metric, jsonb_build_object('t', l.time, 'v', l.value)) FILTER (WHERE l.metric IS NOT NULL) AS latest
     FROM devices d LEFT JOIN device_latest l ON l.device_id = d.id
     WHERE d.kind = $1 AND ($2::text IS NULL OR d.city = $2) AND ($3::text IS NULL OR d.ward = $3)
     GROUP BY d.id ORDER BY d.id LIMIT $4`,
    [q.kind, q.city ?? null, q.ward ?? null, q.limit],
  );
  return rows;
}
