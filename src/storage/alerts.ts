// Typed queries on alert rules, alerts and their history.
import type { Rule, RuleRecord } from '../alerts/rules.ts';
import { everywhere, type Scope } from '../auth/scope.ts';
import { inTransaction as inTx, type Pool, type PoolClient } from './pool.ts';
import { scopeClause, scopeCondition, scopeParameter } from './scope.ts';

export type AlertState = 'open' | 'acknowledged' | 'resolved';

export interface AlertRecord {
  id: number;
  ruleId: number;
  ruleName: string;
  deviceId: string;
  kind: string;
  city: string;
  ward: string;
  severity: 'info' | 'warning' | 'critical';
  state: AlertState;
  messageVi: string;
  messageEn: string;
  value: number | null;
  details: Record<string, unknown>;
  count: number;
  openedAt: Date;
  lastSeenAt: Date;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
  /** Who is working the alert now (alert_assignments), kept once it is resolved. */
  assignee: string | null;
  assignedAt: Date | null;
}

export type AlertHistoryAction = 'opened' | 'acknowledged' | 'resolved' | 'assigned' | 'unassigned' | 'noted';

export interface AlertHistoryEntry {
  at: Date;
  action: AlertHistoryAction;
  actor: string;
  note: string | null;
  /** Whom 'assigned' gave the alert to, whom 'unassigned' took it from; null otherwise. */
  assignee: string | null;
}

const ruleColumns = `id, default_key AS key, name, type, metric, comparison, threshold, clear_value AS "clearValue",
  for_s AS "forS", severity, kind, city, ward, zone, device_id AS "deviceId", device_ids AS "deviceIds",
  window_start AS "windowStart", window_end AS "windowEnd", days, params, message_vi AS "messageVi", message_en AS "messageEn",
  source_ref AS "sourceRef", enabled,
  CASE WHEN instructions_vi IS NULL THEN NULL
       ELSE json_build_object('vi', instructions_vi, 'en', instructions_en) END AS instructions`;

/** Alerts with their rule's name and current assignee: every query that returns an AlertRecord reads this. */
export const alertSource = `alerts a JOIN alert_rules r ON r.id = a.rule_id
  LEFT JOIN alert_assignments s ON s.alert_id = a.id`;

export const alertColumns = `a.id::int, a.rule_id AS "ruleId", r.name AS "ruleName", a.device_id AS "deviceId", a.kind, a.city,
  a.ward, a.severity, a.state, a.message_vi AS "messageVi", a.message_en AS "messageEn", a.value, a.details, a.count,
  a.opened_at AS "openedAt", a.last_seen_at AS "lastSeenAt", a.acknowledged_at AS "acknowledgedAt",
  a.acknowledged_by AS "acknowledgedBy", a.resolved_at AS "resolvedAt", a.resolved_by AS "resolvedBy",
  s.assignee, s.assigned_at AS "assignedAt"`;

const ruleValues = (r: RuleRecord) => [
  r.key ?? null,
  r.name,
  r.type,
  r.metric ?? null,
  r.comparison ?? null,
  r.threshold ?? null,
  r.clearValue ?? null,
  r.forS ?? 0,
  r.severity,
  r.kind ?? null,
  r.city ?? null,
  r.ward ?? null,
  r.zone ?? null,
  r.deviceId ?? null,
  r.windowStart ?? null,
  r.windowEnd ?? null,
  JSON.stringify(r.params),
  r.messageVi,
  r.messageEn,
  r.sourceRef ?? null,
  r.enabled,
  r.instructions?.vi ?? null,
  r.instructions?.en ?? null,
  r.deviceIds ?? null,
  r.days ?? null,
];
const ruleFields = `default_key, name, type, metric, comparison, threshold, clear_value, for_s, severity, kind, city, ward,
  zone, device_id, window_start, window_end, params, message_vi, message_en, source_ref, enabled, instructions_vi,
  instructions_en, device_ids, days`;
const ruleParams = Array.from({ length: 25 }, (_, i) => `$${i + 1}`).join(', ');

export interface AlertFilter {
  state?: AlertState | 'active';
  severity?: string;
  city?: string;
  ward?: string;
  kind?: string;
  deviceId?: string;
  /** A username: the alerts assigned to them. */
  assignee?: string;
  /** true: assigned to someone; false: nobody's yet. */
  assigned?: boolean;
  from?: Date;
  to?: Date;
  limit: number;
  /** Keyset page: alerts with an id below this one. */
  before?: number;
  /** What the reader reaches (src/auth/scope.ts); unset: every area. */
  scope?: Scope;
}

export function createAlertQueries(pool: Pool) {
  const inTransaction = <T>(work: (client: PoolClient) => Promise<T>) => inTx(pool, work);

  async function byId(client: Pool | PoolClient, id: number): Promise<AlertRecord | undefined> {
    const { rows } = await client.query<AlertRecord>(
      `SELECT ${alertColumns} FROM ${alertSource} WHERE a.id = $1`,
      [id],
    );
    return rows[0];
  }

  return {
    /**
     * Inserts the shipped defaults that are not there yet; edited defaults are left as they are, except
     * that a default stored before rules had instructions is given the shipped ones (the API replaces
     * instructions but never removes them, so an empty pair can only mean "from before").
     */
    async seedRules(rules: RuleRecord[]): Promise<number> {
      let inserted = 0;
      for (const rule of rules) {
        const { rows } = await pool.query<{ inserted: boolean }>(
          `INSERT INTO alert_rules (${ruleFields}) VALUES (${ruleParams})
           ON CONFLICT (default_key) DO UPDATE
             SET instructions_vi = excluded.instructions_vi, instructions_en = excluded.instructions_en
             WHERE alert_rules.instructions_vi IS NULL AND excluded.instructions_vi IS NOT NULL
           RETURNING (xmax = 0) AS inserted`,
          ruleValues(rule),
        );
        if (rows[0]?.inserted) inserted++;
      }
      return inserted;
    },

    async rules(): Promise<Rule[]> {
      const { rows } = await pool.query<Rule>(`SELECT ${ruleColumns} FROM alert_rules ORDER BY id`);
      return rows;
    },

    async rule(id: number): Promise<Rule | undefined> {
      const { rows } = await pool.query<Rule>(`SELECT ${ruleColumns} FROM alert_rules WHERE id = $1`, [id]);
      return rows[0];
    },

    async createRule(rule: RuleRecord): Promise<Rule> {
      const { rows } = await pool.query<Rule>(
        `INSERT INTO alert_rules (${ruleFields}) VALUES (${ruleParams}) RETURNING ${ruleColumns}`,
        ruleValues(rule),
      );
      return rows[0]!;
    },

    async replaceRule(id: number, rule: RuleRecord): Promise<Rule | undefined> {
      const sets = ruleFields
        .split(',')
        .map((f, i) => `${f.trim()} = $${i + 2}`)
        .join(', ');
      const { rows } = await pool.query<Rule>(
        `UPDATE alert_rules SET ${sets}, updated_at = now() WHERE id = $1 RETURNING ${ruleColumns}`,
        [id, ...ruleValues(rule)],
      );
      return rows[0];
    },

    async deleteRule(id: number): Promise<boolean> {
      return ((await pool.query('DELETE FROM alert_rules WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },

    /**
     * Opens the alert of (rule, device), or counts a repeat of the active one. Returns the alert and
     * whether it was new.
     */
    async open(input: {
      rule: Rule;
      device: { id: string; kind: string; city: string; ward: string };
      messageVi: string;
      messageEn: string;
      value: number | null;
      details: Record<string, unknown>;
      at: Date;
      repeats: number;
    }): Promise<{ alert: AlertRecord; opened: boolean }> {
      // One statement, so one round trip: a fire alarm's alert is stored in the time of one answer
      // from the database, not five (BEGIN, upsert, history, read back, COMMIT), each of which waited
      // its turn on a busy event loop.
      const { rows } = await pool.query<AlertRecord & { opened: boolean }>(
        `WITH a AS (
           INSERT INTO alerts (rule_id, device_id, kind, city, ward, severity, state, message_vi, message_en, value,
                               details, opened_at, last_seen_at)
           VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $10, $11, $11)
           ON CONFLICT (rule_id, device_id) WHERE state <> 'resolved'
           DO UPDATE SET count = alerts.count + $12, last_seen_at = greatest(alerts.last_seen_at, excluded.last_seen_at),
                         value = excluded.value, message_vi = excluded.message_vi, message_en = excluded.message_en
           RETURNING *, (xmax = 0) AS opened
         ), history AS (
           INSERT INTO alert_history (alert_id, at, action, actor)
           SELECT id, $11, 'opened', 'system' FROM a WHERE opened
         )
         SELECT ${alertColumns}, a.opened FROM a JOIN alert_rules r ON r.id = a.rule_id
           LEFT JOIN alert_assignments s ON s.alert_id = a.id`,
        [
          input.rule.id,
          input.device.id,
          input.device.kind,
          input.device.city,
          input.device.ward,
          input.rule.severity,
          input.messageVi,
          input.messageEn,
          input.value,
          JSON.stringify(input.details),
          input.at,
          input.repeats,
        ],
      );
      const { opened, ...alert } = rows[0]!;
      return { alert, opened };
    },

    /** Moves an alert to `acknowledged` or `resolved`; undefined when it is not in a state that allows it. */
    async transition(
      id: number,
      to: 'acknowledged' | 'resolved',
      actor: string,
      note: string | null,
      at: Date,
    ): Promise<AlertRecord | undefined> {
      return inTransaction(async (client) => {
        const result =
          to === 'acknowledged'
            ? await client.query(
                `UPDATE alerts SET state = 'acknowledged', acknowledged_at = $2, acknowledged_by = $3
                 WHERE id = $1 AND state = 'open'`,
                [id, at, actor],
              )
            : await client.query(
                `UPDATE alerts SET state = 'resolved', resolved_at = $2, resolved_by = $3
                 WHERE id = $1 AND state <> 'resolved'`,
                [id, at, actor],
              );
        if ((result.rowCount ?? 0) === 0) return undefined;
        await client.query(
          'INSERT INTO alert_history (alert_id, at, action, actor, note) VALUES ($1, $2, $3, $4, $5)',
          [id, at, to, actor, note],
        );
        return byId(client, id);
      });
    },

    get: (id: number) => byId(pool, id),

    async activeId(ruleId: number, deviceId: string): Promise<number | undefined> {
      const { rows } = await pool.query<{ id: number }>(
        "SELECT id::int FROM alerts WHERE rule_id = $1 AND device_id = $2 AND state <> 'resolved'",
        [ruleId, deviceId],
      );
      return rows[0]?.id;
    },

    async history(id: number): Promise<AlertHistoryEntry[]> {
      const { rows } = await pool.query<AlertHistoryEntry>(
        'SELECT at, action, actor, note, assignee FROM alert_history WHERE alert_id = $1 ORDER BY at, id',
        [id],
      );
      return rows;
    },

    async active(): Promise<AlertRecord[]> {
      const { rows } = await pool.query<AlertRecord>(
        `SELECT ${alertColumns} FROM ${alertSource} WHERE a.state <> 'resolved'`,
      );
      return rows;
    },

    async list(filter: AlertFilter): Promise<AlertRecord[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replace('?', `$${params.length}`));
      };
      if (filter.state === 'active') where.push("a.state <> 'resolved'");
      else if (filter.state) add('a.state = ?', filter.state);
      if (filter.severity) add('a.severity = ?', filter.severity);
      if (filter.city) add('a.city = ?', filter.city);
      if (filter.ward) add('a.ward = ?', filter.ward);
      if (filter.kind) add('a.kind = ?', filter.kind);
      if (filter.deviceId) add('a.device_id = ?', filter.deviceId);
      if (filter.assignee) add('s.assignee = ?', filter.assignee);
      if (filter.assigned === true) where.push('s.alert_id IS NOT NULL');
      if (filter.assigned === false) where.push('s.alert_id IS NULL');
      if (filter.from) add('a.opened_at >= ?', filter.from);
      if (filter.to) add('a.opened_at < ?', filter.to);
      if (filter.before) add('a.id < ?', filter.before);
      const inScope =
        filter.scope && scopeCondition(filter.scope, params, { city: 'a.city', ward: 'a.ward' });
      if (inScope) where.push(inScope);
      params.push(filter.limit);
      const { rows } = await pool.query<AlertRecord>(
        `SELECT ${alertColumns} FROM ${alertSource}
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY a.id DESC LIMIT $${params.length}`,
        params,
      );
      return rows;
    },

    /**
     * Hourly means of the pollutants VN_AQI is made of, per station, from `since`: NowCast needs the
     * last 12 hours, which a new alert leader rebuilds from stored telemetry.
     */
    async pollutantHourlyMeans(
      since: Date,
    ): Promise<Array<{ deviceId: string; metric: string; hour: Date; mean: number }>> {
      const { rows } = await pool.query<{ deviceId: string; metric: string; hour: Date; mean: number }>(
        `SELECT device_id AS "deviceId", metric, date_trunc('hour', time) AS hour, avg(value) AS mean
           FROM telemetry WHERE time >= $1 AND metric IN ('pm25', 'pm10', 'o3', 'no2', 'so2', 'co')
           GROUP BY 1, 2, 3`,
        [since],
      );
      return rows;
    },

    /** Active alerts grouped per city, ward, kind and severity: a storm stays readable; within `scope`. */
    async summary(scope: Scope = everywhere): Promise<
      Array<{
        city: string;
        ward: string;
        kind: string;
        severity: string;
        open: number;
        acknowledged: number;
        oldest: Date;
      }>
    > {
      const { rows } = await pool.query(
        `SELECT city, ward, kind, severity,
                count(*) FILTER (WHERE state = 'open')::int AS open,
                count(*) FILTER (WHERE state = 'acknowledged')::int AS acknowledged,
                min(opened_at) AS oldest
         FROM alerts WHERE state <> 'resolved' AND ${scopeClause('$1')}
         GROUP BY 1, 2, 3, 4
         ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, count(*) DESC, city, ward, kind`,
        [scopeParameter(scope)],
      );
      return rows;
    },
  };
}

export type AlertQueries = ReturnType<typeof createAlertQueries>;
