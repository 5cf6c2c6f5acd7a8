// Typed queries on webhooks and their delivery log (the log is also the retry queue).
import type { Pool } from './pool.ts';

export interface Webhook {
  id: number;
  name: string;
  url: string;
  secret: string;
  severities: string[];
  kinds: string[] | null;
  enabled: boolean;
}

export interface Delivery {
  id: number;
  webhookId: number;
  alertId: number;
  action: string;
  payload: unknown;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

const webhookColumns = 'id, name, url, secret, severities, kinds, enabled';
const deliveryColumns = `id::int, webhook_id AS "webhookId", alert_id::int AS "alertId", action, payload, state, attempts,
  next_attempt_at AS "nextAttemptAt", last_status AS "lastStatus", last_error AS "lastError",
  created_at AS "createdAt", delivered_at AS "deliveredAt"`;

export function createWebhookQueries(pool: Pool) {
  return {
    async list(): Promise<Webhook[]> {
      return (await pool.query<Webhook>(`SELECT ${webhookColumns} FROM webhooks ORDER BY id`)).rows;
    },
    async create(w: Omit<Webhook, 'id'>): Promise<Webhook> {
      const { rows } = await pool.query<Webhook>(
        `INSERT INTO webhooks (name, url, secret, severities, kinds, enabled) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING ${webhookColumns}`,
        [w.name, w.url, w.secret, w.severities, w.kinds, w.enabled],
      );
      return rows[0]!;
    },
    async remove(id: number): Promise<boolean> {
      return ((await pool.query('DELETE FROM webhooks WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    /** Queues one delivery per enabled webhook that wants this alert. */
    async enqueue(
      alert: { id: number; severity: string; kind: string },
      action: string,
      payload: unknown,
    ): Promise<number> {
      const result = await pool.query(
        // Due at once, to the millisecond: the claim compares with the app's clock, which has no
        // microseconds, so a delivery queued within the same millisecond is due to it too.
        `INSERT INTO webhook_deliveries (webhook_id, alert_id, action, payload, next_attempt_at)
         SELECT id, $1, $2, $3, date_trunc('milliseconds', now()) FROM webhooks
         WHERE enabled AND $4 = ANY(severities) AND (kinds IS NULL OR $5 = ANY(kinds))`,
        [alert.id, action, JSON.stringify(payload), alert.severity, alert.kind],
      );
      return result.rowCount ?? 0;
    },
    /** Claims due deliveries: pushes their next attempt ahead so another worker does not take them too. */
    async claimDue(
      now: Date,
      limit: number,
      leaseMs: number,
    ): Promise<Array<Delivery & { url: string; secret: string }>> {
      const { rows } = await pool.query<Delivery & { url: string; secret: string }>(
        `WITH due AS (
           SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1
           ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE webhook_deliveries d SET next_attempt_at = $1::timestamptz + make_interval(secs => $3::float8 / 1000)
         FROM due, webhooks w WHERE d.id = due.id AND w.id = d.webhook_id
         RETURNING d.id::int, d.webhook_id AS "webhookId", d.alert_id::int AS "alertId", d.action, d.payload, d.state,
                   d.attempts, d.next_attempt_at AS "nextAttemptAt", w.url, w.secret`,
        [now, limit, leaseMs],
      );
      return rows;
    },
    async delivered(id: number, status: number, at: Date): Promise<void> {
      await pool.query(
        `UPDATE webhook_deliveries SET state = 'delivered', attempts = attempts + 1, last_status = $2, delivered_at = $3,
         last_error = NULL WHERE id = $1`,
        [id, status, at],
      );
    },
    async failedAttempt(id: number, status: number | null, error: string, next: Date | null): Promise<void> {
      await pool.query(
        `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3,
         state = CASE WHEN $4::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = coalesce($4, next_attempt_at) WHERE id = $1`,
        [id, status, error.slice(0, 1000), next],
      );
    },
    async deliveries(webhookId: number, limit: number): Promise<Delivery[]> {
      const { rows } = await pool.query<Delivery>(
        `SELECT ${deliveryColumns} FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2`,
        [webhookId, limit],
      );
      return rows;
    },
  };
}

export type WebhookQueries = ReturnType<typeof createWebhookQueries>;
