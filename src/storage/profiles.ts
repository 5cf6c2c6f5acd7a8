// Queries of device_profiles (migration 023). Seeding refreshes only rows still as shipped (origin
// 'seed'); a row written through the API is 'admin' and a later start leaves it alone.
import type { Profile } from '../profiles/schema.ts';
import type { Pool } from './pool.ts';

export type ProfileRecord = Omit<Profile, 'origin'>;

const columns = `id, name_vi, name_en, description_vi, description_en, reporting_interval_s, metrics,
  primary_metrics, ngsi_ld_type, origin`;

const values = (p: ProfileRecord, origin: 'seed' | 'admin'): unknown[] => [
  p.id,
  p.name.vi,
  p.name.en,
  p.description.vi,
  p.description.en,
  p.reportingIntervalS,
  JSON.stringify(p.metrics),
  p.primaryMetrics,
  p.ngsiLdType,
  origin,
];

// biome-ignore lint/suspicious/noExplicitAny: rows as pg returns them
const toProfile = (r: Record<string, any>): Profile => ({
  id: r.id,
  name: { vi: r.name_vi, en: r.name_en },
  description: { vi: r.description_vi, en: r.description_en },
  reportingIntervalS: r.reporting_interval_s,
  metrics: r.metrics,
  primaryMetrics: r.primary_metrics,
  ngsiLdType: r.ngsi_ld_type,
  origin: r.origin,
});

const placeholders = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10';

export interface ProfileQueries {
  /** The shipped profiles, in one statement; rows an admin wrote stay as they are. */
  seed(profiles: ProfileRecord[]): Promise<void>;
  all(): Promise<Profile[]>;
  /** Changes to the table, as one text: another instance's edit changes it. */
  version(): Promise<string>;
  /** False when the id is taken. */
  insert(profile: ProfileRecord): Promise<boolean>;
  /** False when there is no such profile. */
  update(profile: ProfileRecord): Promise<boolean>;
  /**
   * Deletes the profile unless a device is of it: `deleted`, or how many devices hold it back, or
   * `missing`. One statement, so a device registered meanwhile is counted or finds no profile.
   */
  remove(id: string): Promise<{ deleted: true } | { deleted: false; devices: number } | 'missing'>;
}

export function createProfileQueries(pool: Pool): ProfileQueries {
  return {
    async seed(profiles) {
      await pool.query(
        `INSERT INTO device_profiles AS t (${columns})
         SELECT p.id, p.name_vi, p.name_en, p.description_vi, p.description_en, p.reporting_interval_s,
                p.metrics, array(SELECT jsonb_array_elements_text(p.primary_metrics)), p.ngsi_ld_type, 'seed'
         FROM jsonb_to_recordset($1::jsonb) AS p(id text, name_vi text, name_en text, description_vi text,
              description_en text, reporting_interval_s int, metrics jsonb, primary_metrics jsonb,
              ngsi_ld_type text)
         ON CONFLICT (id) DO UPDATE SET name_vi = excluded.name_vi, name_en = excluded.name_en,
           description_vi = excluded.description_vi, description_en = excluded.description_en,
           reporting_interval_s = excluded.reporting_interval_s, metrics = excluded.metrics,
           primary_metrics = excluded.primary_metrics, ngsi_ld_type = excluded.ngsi_ld_type,
           updated_at = now()
         WHERE t.origin = 'seed' AND (t.name_vi, t.name_en, t.description_vi, t.description_en,
           t.reporting_interval_s, t.metrics, t.primary_metrics, t.ngsi_ld_type)
           IS DISTINCT FROM (excluded.name_vi, excluded.name_en, excluded.description_vi,
           excluded.description_en, excluded.reporting_interval_s, excluded.metrics,
           excluded.primary_metrics, excluded.ngsi_ld_type)`,
        [
          JSON.stringify(
            profiles.map((p) => ({
              id: p.id,
              name_vi: p.name.vi,
              name_en: p.name.en,
              description_vi: p.description.vi,
              description_en: p.description.en,
              reporting_interval_s: p.reportingIntervalS,
              metrics: p.metrics,
              primary_metrics: p.primaryMetrics,
              ngsi_ld_type: p.ngsiLdType,
            })),
          ),
        ],
      );
    },

    async all() {
      const { rows } = await pool.query(`SELECT ${columns} FROM device_profiles ORDER BY id`);
      return rows.map(toProfile);
    },

    async version() {
      const { rows } = await pool.query<{ version: string }>(
        `SELECT count(*) || '@' || coalesce(max(updated_at)::text, '') AS version FROM device_profiles`,
      );
      return rows[0]!.version;
    },

    async insert(profile) {
      const { rowCount } = await pool.query(
        `INSERT INTO device_profiles (${columns}) VALUES (${placeholders}) ON CONFLICT (id) DO NOTHING`,
        values(profile, 'admin'),
      );
      return rowCount === 1;
    },

    async update(profile) {
      const { rowCount } = await pool.query(
        `UPDATE device_profiles SET (${columns}, updated_at) = (${placeholders}, now()) WHERE id = $1`,
        values(profile, 'admin'),
      );
      return rowCount === 1;
    },

    async remove(id) {
      const { rows } = await pool.query<{ deleted: boolean; devices: number }>(
        `WITH held AS (SELECT count(*)::int AS devices FROM devices WHERE kind = $1),
              gone AS (DELETE FROM device_profiles WHERE id = $1 AND (SELECT devices FROM held) = 0
                       RETURNING id)
         SELECT EXISTS (SELECT 1 FROM gone) AS deleted, (SELECT devices FROM held) AS devices,
                EXISTS (SELECT 1 FROM device_profiles WHERE id = $1) AS found`,
        [id],
      );
      const row = rows[0] as { deleted: boolean; devices: number; found: boolean };
      if (row.deleted) return { deleted: true };
      if (!row.found) return 'missing';
      return { deleted: false, devices: row.devices };
    },
  };
}
