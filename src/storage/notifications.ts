// Typed queries on notification channels, contacts, schedules, policies, escalations and deliveries.
// Every time comes from the caller (the notifications area's clock), never from now(), so tests move
// time and a restart resumes exactly where the stored times say.
import { everywhere, type Scope } from '../auth/scope.ts';
import type { QuietHours, Shift } from '../notifications/schedule.ts';
import type { ChannelType, ContactInput, PolicyInput, ScheduleInput } from '../notifications/schemas.ts';
import type { Pool, PoolClient } from './pool.ts';
import { scopeClause, scopeParameter } from './scope.ts';

export interface ChannelRow {
  id: number;
  name: string;
  type: ChannelType;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}
export interface ContactRow extends ContactInput {
  id: number;
}
export interface ScheduleRow {
  id: number;
  name: string;
  shifts: Shift[];
}
export interface Step {
  afterMinutes: number;
  scheduleIds: number[];
  contactIds: number[];
  channelIds: number[];
}
export interface PolicyRow {
  id: number;
  name: string;
  city: string | null;
  severities: string[];
  steps: Step[];
  quietHours: QuietHours | null;
  notifyOnClose: boolean;
  enabled: boolean;
  createdAt: Date;
}
export type DeliveryEvent = 'opened' | 'escalated' | 'acknowledged' | 'resolved' | 'test';
export type DeliveryStatus =
  | 'pending'
  | 'held'
  | 'sending'
  | 'retrying'
  | 'sent'
  | 'failed'
  | 'skipped'
  | 'cancelled';
export interface NewDelivery {
  alertId: number | null;
  policyId: number | null;
  step: number | null;
  event: DeliveryEvent;
  channelId: number;
  channelType: ChannelType;
  contactId: number | null;
  address: string;
  recipient: string;
  status: 'pending' | 'held' | 'skipped';
  nextAttemptAt: Date;
  lastError?: string;
}
export interface DeliveryRow extends Omit<NewDelivery, 'status' | 'lastError'> {
  id: number;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date;
  sentAt: Date | null;
}
export interface DueEscalation {
  alertId: number;
  policyId: number;
  nextStep: number;
  nextAt: Date;
  alertState: string;
  severity: string;
}

const channelColumns = `id, name, type, settings, secrets, enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;
const contactColumns = `id, name, username, email, phone, zalo_user_id AS "zaloUserId", enabled`;
const policyColumns = `id, name, city, severities, steps, quiet_hours AS "quietHours", notify_on_close AS "notifyOnClose",
  enabled, created_at AS "createdAt"`;
const deliveryColumns = `id::int, alert_id::int AS "alertId", policy_id AS "policyId", step, event, channel_id AS "channelId",
  channel_type AS "channelType", contact_id AS "contactId", address, recipient, status, attempts,
  next_attempt_at AS "nextAttemptAt", last_error AS "lastError", created_at AS "createdAt", updated_at AS "updatedAt",
  sent_at AS "sentAt"`;

type Queryable = Pool | PoolClient;

/** A delivery's alert is in the scope given as `parameter` (every delivery for the global scope). */
const aboutAlertInScope = (parameter: string) =>
  `(${parameter}::text[] IS NULL OR EXISTS (SELECT 1 FROM alerts a WHERE a.id = alert_id
     AND ${scopeClause(parameter, { city: 'a.city', ward: 'a.ward' })}))`;
const first = <T>(rows: T[]) => rows[0];

export function createNotificationQueries(pool: Pool) {
  const policyValues = (p: PolicyInput) => [
    p.name,
    p.city,
    p.severities,
    JSON.stringify(p.steps),
    p.quietHours ? JSON.stringify(p.quietHours) : null,
    p.notifyOnClose,
    p.enabled,
  ];
  return {
    channels: {
      async list(): Promise<ChannelRow[]> {
        return (
          await pool.query<ChannelRow>(`SELECT ${channelColumns} FROM notification_channels ORDER BY id`)
        ).rows;
      },
      async get(id: number): Promise<ChannelRow | undefined> {
        const sql = `SELECT ${channelColumns} FROM notification_channels WHERE id = $1`;
        return first((await pool.query<ChannelRow>(sql, [id])).rows);
      },
      async create(c: Omit<ChannelRow, 'id' | 'createdAt' | 'updatedAt'>): Promise<ChannelRow> {
        const { rows } = await pool.query<ChannelRow>(
          `INSERT INTO notification_channels (name, type, settings, secrets, enabled) VALUES ($1, $2, $3, $4, $5)
           RETURNING ${channelColumns}`,
          [c.name, c.type, JSON.stringify(c.settings), JSON.stringify(c.secrets), c.enabled],
        );
        return rows[0]!;
      },
      async replace(id: number, c: Omit<ChannelRow, 'id' | 'type' | 'createdAt' | 'updatedAt'>) {
        const { rows } = await pool.query<ChannelRow>(
          `UPDATE notification_channels SET name = $2, settings = $3, secrets = $4, enabled = $5, updated_at = now()
           WHERE id = $1 RETURNING ${channelColumns}`,
          [id, c.name, JSON.stringify(c.settings), JSON.stringify(c.secrets), c.enabled],
        );
        return first(rows);
      },
      async remove(id: number): Promise<boolean> {
        return (
          ((await pool.query('DELETE FROM notification_channels WHERE id = $1', [id])).rowCount ?? 0) > 0
        );
      },
    },

    contacts: {
      async list(): Promise<ContactRow[]> {
        return (
          await pool.query<ContactRow>(`SELECT ${contactColumns} FROM notification_contacts ORDER BY id`)
        ).rows;
      },
      async create(c: ContactInput): Promise<ContactRow> {
        const { rows } = await pool.query<ContactRow>(
          `INSERT INTO notification_contacts (name, username, email, phone, zalo_user_id, enabled)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${contactColumns}`,
          [c.name, c.username, c.email, c.phone, c.zaloUserId, c.enabled],
        );
        return rows[0]!;
      },
      async replace(id: number, c: ContactInput): Promise<ContactRow | undefined> {
        const { rows } = await pool.query<ContactRow>(
          `UPDATE notification_contacts SET name = $2, username = $3, email = $4, phone = $5, zalo_user_id = $6,
           enabled = $7, updated_at = now() WHERE id = $1 RETURNING ${contactColumns}`,
          [id, c.name, c.username, c.email, c.phone, c.zaloUserId, c.enabled],
        );
        return first(rows);
      },
      async remove(id: number): Promise<boolean> {
        return (
          ((await pool.query('DELETE FROM notification_contacts WHERE id = $1', [id])).rowCount ?? 0) > 0
        );
      },
    },

    schedules: {
      async list(): Promise<ScheduleRow[]> {
        return (
          await pool.query<ScheduleRow>('SELECT id, name, shifts FROM notification_schedules ORDER BY id')
        ).rows;
      },
      async create(s: ScheduleInput): Promise<ScheduleRow> {
        const { rows } = await pool.query<ScheduleRow>(
          'INSERT INTO notification_schedules (name, shifts) VALUES ($1, $2) RETURNING id, name, shifts',
          [s.name, JSON.stringify(s.shifts)],
        );
        return rows[0]!;
      },
      async replace(id: number, s: ScheduleInput): Promise<ScheduleRow | undefined> {
        const { rows } = await pool.query<ScheduleRow>(
          `UPDATE notification_schedules SET name = $2, shifts = $3, updated_at = now() WHERE id = $1
           RETURNING id, name, shifts`,
          [id, s.name, JSON.stringify(s.shifts)],
        );
        return first(rows);
      },
      async remove(id: number): Promise<boolean> {
        return (
          ((await pool.query('DELETE FROM notification_schedules WHERE id = $1', [id])).rowCount ?? 0) > 0
        );
      },
    },

    policies: {
      async list(): Promise<PolicyRow[]> {
        return (await pool.query<PolicyRow>(`SELECT ${policyColumns} FROM notification_policies ORDER BY id`))
          .rows;
      },
      /** `at`: from then on the policy covers alerts that open (older ones are not caught up). */
      async create(p: PolicyInput, at: Date): Promise<PolicyRow> {
        const { rows } = await pool.query<PolicyRow>(
          `INSERT INTO notification_policies (name, city, severities, steps, quiet_hours, notify_on_close, enabled, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${policyColumns}`,
          [...policyValues(p), at],
        );
        return rows[0]!;
      },
      async replace(id: number, p: PolicyInput): Promise<PolicyRow | undefined> {
        const { rows } = await pool.query<PolicyRow>(
          `UPDATE notification_policies SET name = $2, city = $3, severities = $4, steps = $5, quiet_hours = $6,
           notify_on_close = $7, enabled = $8, updated_at = now() WHERE id = $1 RETURNING ${policyColumns}`,
          [id, ...policyValues(p)],
        );
        return first(rows);
      },
      async remove(id: number): Promise<boolean> {
        return (
          ((await pool.query('DELETE FROM notification_policies WHERE id = $1', [id])).rowCount ?? 0) > 0
        );
      },
    },

    escalations: {
      /**
       * Starts the chain of every enabled policy that covers this alert's area and severity (once per
       * policy, however often it is called), and of open alerts whose start was missed (a lost event,
       * a crash between storing the alert and hearing of it) since `since`.
       */
      async start(now: Date, since: Date, alertId?: number): Promise<number> {
        const result = await pool.query(
          `INSERT INTO notification_escalations (alert_id, policy_id, next_at)
           SELECT a.id, p.id, $1::timestamptz + make_interval(mins => (p.steps -> 0 ->> 'afterMinutes')::int)
             FROM alerts a JOIN notification_policies p
               ON p.enabled AND a.severity = ANY (p.severities) AND (p.city IS NULL OR p.city = a.city)
              AND a.opened_at >= p.created_at
            WHERE a.state = 'open' AND (($3::bigint IS NULL AND a.opened_at >= $2) OR a.id = $3)
           ON CONFLICT DO NOTHING`,
          [now, since, alertId ?? null],
        );
        return result.rowCount ?? 0;
      },
      /** Ends the alert's chains and cancels what is still waiting to go (it was acknowledged or resolved). */
      async stop(alertId: number, now: Date): Promise<void> {
        await pool.query(
          `WITH done AS (
             UPDATE notification_escalations SET done_at = $2 WHERE alert_id = $1 AND done_at IS NULL)
           UPDATE notification_deliveries SET status = 'cancelled', updated_at = $2,
                  last_error = 'the alert was acknowledged or resolved first'
            WHERE alert_id = $1 AND event IN ('opened', 'escalated') AND status IN ('pending', 'held', 'retrying')`,
          [alertId, now],
        );
      },
      /** Due chains, locked for this transaction (another instance skips them). */
      async claimDue(client: PoolClient, now: Date, limit: number): Promise<DueEscalation[]> {
        const { rows } = await client.query<DueEscalation>(
          `SELECT e.alert_id::int AS "alertId", e.policy_id AS "policyId", e.next_step AS "nextStep", e.next_at AS "nextAt",
                  a.state AS "alertState", a.severity
             FROM notification_escalations e JOIN alerts a ON a.id = e.alert_id
            WHERE e.done_at IS NULL AND e.next_at <= $1
            ORDER BY e.next_at LIMIT $2 FOR UPDATE OF e SKIP LOCKED`,
          [now, limit],
        );
        return rows;
      },
      /** Moves a chain to its next step, or ends it (`nextAt` null). */
      async advance(client: PoolClient, e: DueEscalation, nextAt: Date | null, now: Date): Promise<void> {
        await client.query(
          `UPDATE notification_escalations SET next_step = next_step + 1, next_at = coalesce($3, next_at),
                  done_at = CASE WHEN $3::timestamptz IS NULL THEN $4::timestamptz END
            WHERE alert_id = $1 AND policy_id = $2`,
          [e.alertId, e.policyId, nextAt, now],
        );
      },
    },

    deliveries: {
      /** Adds deliveries; one already made for the same alert, step, event, channel and address is kept. */
      async add(db: Queryable, list: NewDelivery[], now: Date): Promise<number[]> {
        if (list.length === 0) return [];
        const column = <K extends keyof NewDelivery>(k: K) => list.map((d) => d[k] ?? null);
        const { rows } = await db.query<{ id: number }>(
          `INSERT INTO notification_deliveries (alert_id, policy_id, step, event, channel_id, channel_type, contact_id,
             address, recipient, status, next_attempt_at, last_error, created_at, updated_at)
           SELECT *, $13::timestamptz, $13::timestamptz FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[],
             $5::int[], $6::text[], $7::int[], $8::text[], $9::text[], $10::text[], $11::timestamptz[], $12::text[])
           ON CONFLICT DO NOTHING RETURNING id::int`,
          [
            ...(
              ['alertId', 'policyId', 'step', 'event', 'channelId', 'channelType', 'contactId'] as const
            ).map(column),
            ...(['address', 'recipient', 'status', 'nextAttemptAt', 'lastError'] as const).map(column),
            now,
          ],
        );
        return rows.map((r) => r.id);
      },
      /**
       * "Acknowledged" or "resolved" notices to everyone who was sent this alert by a policy that wants
       * them, once per channel and address.
       */
      async addClosingNotices(
        alertId: number,
        event: 'acknowledged' | 'resolved',
        now: Date,
      ): Promise<number> {
        const result = await pool.query(
          `INSERT INTO notification_deliveries (alert_id, policy_id, step, event, channel_id, channel_type, contact_id,
             address, recipient, status, next_attempt_at, created_at, updated_at)
           SELECT DISTINCT ON (d.channel_id, d.address) d.alert_id, d.policy_id, NULL::int, $2, d.channel_id,
                  d.channel_type, d.contact_id, d.address, d.recipient, 'pending', $3::timestamptz, $3, $3
             FROM notification_deliveries d JOIN notification_policies p ON p.id = d.policy_id AND p.notify_on_close
            WHERE d.alert_id = $1 AND d.status = 'sent' AND d.event IN ('opened', 'escalated')
            ORDER BY d.channel_id, d.address, d.id
           ON CONFLICT DO NOTHING`,
          [alertId, event, now],
        );
        return result.rowCount ?? 0;
      },
      /** Claims due deliveries: marks them sending, leased until `now + leaseMs` (a crash gives them back). */
      async claimDue(now: Date, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
        const { rows } = await pool.query<DeliveryRow>(
          `WITH due AS (
             SELECT id AS due_id FROM notification_deliveries
              WHERE status IN ('pending', 'held', 'sending', 'retrying') AND next_attempt_at <= $1
              ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
           UPDATE notification_deliveries SET status = 'sending', updated_at = $1,
                  next_attempt_at = $1::timestamptz + make_interval(secs => $3::float8 / 1000)
             FROM due WHERE id = due.due_id RETURNING ${deliveryColumns}`,
          [now, limit, leaseMs],
        );
        return rows;
      },
      /** The outcome of one attempt: sent, tried again at `retryAt`, or given up. */
      async settle(
        id: number,
        outcome: { status: 'sent' | 'retrying' | 'failed' | 'cancelled'; error?: string; retryAt?: Date },
        now: Date,
      ): Promise<void> {
        await pool.query(
          `UPDATE notification_deliveries SET status = $2::text, last_error = $3, updated_at = $4::timestamptz,
                  attempts = attempts + CASE WHEN $2::text = 'cancelled' THEN 0 ELSE 1 END,
                  sent_at = CASE WHEN $2::text = 'sent' THEN $4::timestamptz END,
                  next_attempt_at = coalesce($5::timestamptz, next_attempt_at)
            WHERE id = $1`,
          [id, outcome.status, outcome.error?.slice(0, 500) ?? null, now, outcome.retryAt ?? null],
        );
      },
      /** `scope`: the caller's; a delivery about an alert outside it, or about none, is not found. */
      async get(id: number, scope: Scope = everywhere): Promise<DeliveryRow | undefined> {
        const sql = `SELECT ${deliveryColumns} FROM notification_deliveries WHERE id = $1 AND ${aboutAlertInScope('$2')}`;
        return first((await pool.query<DeliveryRow>(sql, [id, scopeParameter(scope)])).rows);
      },
      /** The log, newest first, filtered; `before` pages back by id; within the caller's scope. */
      async list(filter: {
        alertId?: number;
        channelId?: number;
        status?: string;
        before?: number;
        limit: number;
        scope?: Scope;
      }): Promise<DeliveryRow[]> {
        const { rows } = await pool.query<DeliveryRow>(
          `SELECT ${deliveryColumns} FROM notification_deliveries
            WHERE ($1::bigint IS NULL OR alert_id = $1) AND ($2::int IS NULL OR channel_id = $2)
              AND ($3::text IS NULL OR status = $3) AND ($4::bigint IS NULL OR id < $4)
              AND ${aboutAlertInScope('$6')}
            ORDER BY id DESC LIMIT $5`,
          [
            filter.alertId ?? null,
            filter.channelId ?? null,
            filter.status ?? null,
            filter.before ?? null,
            filter.limit,
            scopeParameter(filter.scope ?? everywhere),
          ],
        );
        return rows;
      },
    },
  };
}

export type NotificationQueries = ReturnType<typeof createNotificationQueries>;
