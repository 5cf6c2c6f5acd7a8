// What the NGSI-LD entities are made from: the devices behind each entity type, with the latest value
// and time of each of their metrics (device_latest), their place names, and the hourly means the
// air-quality index needs. One entity per (type, device) that has reported at least one of the type's
// metrics, in type order then device id order, so offset paging is stable.
import type { Pool } from './pool.ts';
import { scopeClause } from './scope.ts';

/** An entity type as the query needs it: its order, the device kind behind it and its metrics. */
export interface EntitySource {
  type: string;
  kind: string;
  metrics: readonly string[];
}

export interface EntityFilter {
  sources: readonly EntitySource[];
  city?: string | undefined;
  ward?: string | undefined;
  /** Only these entity ids (`urn:ngsi-ld:<type>:<device id>`); undefined: any. */
  entityIds?: readonly string[] | undefined;
  /** The area and unit ids the caller reaches (src/auth/scope.ts); undefined: every area. */
  scope?: readonly string[] | undefined;
}

export interface EntityRow {
  type: string;
  id: string;
  city: string;
  ward: string;
  lat: number;
  lon: number;
  name: string;
  pole: string | null;
  /** Per metric: `t`, the reading's time as PostgreSQL writes it in JSON, and `v`, its value. */
  latest: Record<string, { t: string; v: number }>;
  /** The commune-level unit's full name in force (a former unit's id gives the unit it went into). */
  unitName: string | null;
  areaName: string | null;
  provinceName: string | null;
  /** A lamp-dark alert is active for the device (streetlights). */
  lampDark: boolean;
}

// The filter shared by the page and the count: the sources as a JSON array, so one statement serves
// any list of types; a device appears once per source whose metrics it has reported.
const sourcesJoin = `jsonb_to_recordset($1::jsonb) AS s(ord int, type text, kind text, metrics text[])
  JOIN devices d ON d.kind = s.kind`;
const matching = `($2::text IS NULL OR d.city = $2) AND ($3::text IS NULL OR d.ward = $3)
    AND ($4::text[] IS NULL OR 'urn:ngsi-ld:' || s.type || ':' || d.id = ANY($4))
    AND ${scopeClause('$5', { city: 'd.city', ward: 'd.ward' })}
    AND EXISTS (SELECT 1 FROM device_latest e WHERE e.device_id = d.id AND e.metric = ANY(s.metrics))`;

function filterParams(f: EntityFilter) {
  const sources = f.sources.map((s, ord) => ({ ord, type: s.type, kind: s.kind, metrics: s.metrics }));
  return [JSON.stringify(sources), f.city ?? null, f.ward ?? null, f.entityIds ?? null, f.scope ?? null];
}

export async function readEntityRows(
  pool: Pool,
  f: EntityFilter & { limit: number; offset: number },
): Promise<EntityRow[]> {
  // Place names come from the places tables (a former unit's id gives the unit it went into); a lamp
  // is defective while its lamp-dark alert is active.
  const { rows } = await pool.query<EntityRow>(
    `SELECT s.type, d.id, d.city, d.ward, d.lat, d.lon, d.name, d.pole,
            (SELECT jsonb_object_agg(l.metric, jsonb_build_object('t', l.time, 'v', l.value))
               FROM device_latest l WHERE l.device_id = d.id AND l.metric = ANY(s.metrics)) AS latest,
            COALESCE(u.full_name_vi, merged.full_name_vi) AS "unitName",
            a.name_vi AS "areaName", a.province_name_vi AS "provinceName",
            (s.kind = 'streetlight' AND EXISTS (
               SELECT 1 FROM alerts al JOIN alert_rules r ON r.id = al.rule_id
               WHERE al.device_id = d.id AND al.state <> 'resolved' AND r.type = 'streetlight_dark'
            )) AS "lampDark"
     FROM ${sourcesJoin}
     LEFT JOIN place_units u ON u.id = d.ward
     LEFT JOIN place_former_units f ON f.id = d.ward
     LEFT JOIN place_units merged ON merged.id = f.merged_into
     LEFT JOIN place_areas a ON a.id = d.city
     WHERE ${matching}
     ORDER BY s.ord, d.id
     LIMIT $6 OFFSET $7`,
    [...filterParams(f), f.limit, f.offset],
  );
  return rows;
}

export async function countEntityRows(pool: Pool, f: EntityFilter): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${sourcesJoin} WHERE ${matching}`,
    filterParams(f),
  );
  return Number(rows[0]?.n ?? 0);
}

export interface HourlyMean {
  deviceId: string;
  metric: string;
  /** Start of the hour. */
  hour: Date;
  mean: number;
}

/**
 * Hourly means of the devices' metrics over the `hours` complete hours before the hour of each
 * device's newest reading of those metrics: the folded rollups and the messages the refresher has
 * not folded yet (telemetry_pending), together.
 */
export async function readHourlyMeans(
  pool: Pool,
  q: { deviceIds: readonly string[]; metrics: readonly string[]; hours: number },
): Promise<HourlyMean[]> {
  if (q.deviceIds.length === 0) return [];
  const { rows } = await pool.query<HourlyMean>(
    `WITH last AS (
       SELECT device_id, date_bin('1 hour', max(time), '2000-01-01') AS current_hour
       FROM device_latest WHERE device_id = ANY($1) AND metric = ANY($2) GROUP BY device_id
     ), parts AS (
       SELECT h.device_id, h.metric, h.hour, h.sum, h.count
       FROM telemetry_hourly h JOIN last ON last.device_id = h.device_id
       WHERE h.metric = ANY($2) AND h.hour >= last.current_hour - make_interval(hours => $3) AND h.hour < last.current_hour
       UNION ALL
       SELECT p.device_id, e.key, date_bin('1 hour', p.time, '2000-01-01'), e.value::float8, 1
       FROM telemetry_pending p JOIN last ON last.device_id = p.device_id
       CROSS JOIN LATERAL jsonb_each_text(p.metrics) AS e
       WHERE e.key = ANY($2) AND p.time >= last.current_hour - make_interval(hours => $3) AND p.time < last.current_hour
     )
     SELECT device_id AS "deviceId", metric, hour, sum(sum) / sum(count) AS mean
     FROM parts GROUP BY device_id, metric, hour`,
    [q.deviceIds, q.metrics, q.hours],
  );
  return rows.map((r) => ({ ...r, mean: Number(r.mean) }));
}
