// What a rule's dry run replays: the stored readings, status changes and device events of a set of
// devices over a time range, each in (device, time) order, in pages. The primary keys of
// telemetry_messages and device_status_changes, and device_events' (device_id, type, time), start
// with the device, so every read is a range of an index per device rather than a scan of the day.
import type { Pool } from './pool.ts';

export interface StoredReading {
  deviceId: string;
  time: Date;
  /** Empty when only the times were asked for. */
  metrics: Record<string, number>;
}

export interface StoredStatus {
  deviceId: string;
  time: Date;
  online: boolean;
  lastWill: boolean;
}

export interface StoredEvent {
  deviceId: string;
  time: Date;
  type: string;
  data: unknown;
}

export interface TimeRange {
  from: Date;
  /** Exclusive. */
  to: Date;
}

export function createRuleHistoryQueries(pool: Pool) {
  return {
    /**
     * One page of readings after `after` (device, time), carrying any of `metrics` (null: every
     * message). `withMetrics` false returns the times alone, for rules that only ask when a device spoke.
     */
    async readings(
      deviceIds: readonly string[],
      range: TimeRange,
      options: {
        metrics: readonly string[] | null;
        withMetrics: boolean;
        after?: { deviceId: string; time: Date };
        limit: number;
      },
    ): Promise<StoredReading[]> {
      const params: unknown[] = [deviceIds, range.from, range.to, options.limit];
      const where = ['device_id = ANY($1::text[])', 'time >= $2', 'time < $3'];
      if (options.metrics) where.push(`metrics ?| $${params.push(options.metrics)}::text[]`);
      if (options.after) {
        const d = params.push(options.after.deviceId);
        const t = params.push(options.after.time);
        where.push(`(device_id, time) > ($${d}::text, $${t}::timestamptz)`);
      }
      const { rows } = await pool.query<StoredReading>(
        `SELECT device_id AS "deviceId", time, ${options.withMetrics ? 'metrics' : `'{}'::jsonb AS metrics`}
         FROM telemetry_messages WHERE ${where.join(' AND ')}
         ORDER BY device_id, time LIMIT $4`,
        params,
      );
      return rows;
    },

    /** Status changes (online, offline, last will) of the devices in the range, at most `limit`. */
    async statusChanges(
      deviceIds: readonly string[],
      range: TimeRange,
      limit: number,
    ): Promise<StoredStatus[]> {
      const { rows } = await pool.query<StoredStatus>(
        `SELECT device_id AS "deviceId", time, online, last_will AS "lastWill" FROM device_status_changes
         WHERE device_id = ANY($1::text[]) AND time >= $2 AND time < $3
         ORDER BY device_id, time LIMIT $4`,
        [deviceIds, range.from, range.to, limit],
      );
      return rows;
    },

    /** Device events in the range (of `type` only, when given), at most `limit`. */
    async events(
      deviceIds: readonly string[],
      range: TimeRange,
      type: string | null,
      limit: number,
    ): Promise<StoredEvent[]> {
      const { rows } = await pool.query<StoredEvent>(
        `SELECT device_id AS "deviceId", time, type, data FROM device_events
         WHERE device_id = ANY($1::text[]) AND time >= $2 AND time < $3 AND ($4::text IS NULL OR type = $4)
         ORDER BY device_id, time LIMIT $5`,
        [deviceIds, range.from, range.to, type, limit],
      );
      return rows;
    },

    /** Each device's last reading before `before`, if it has one. */
    async lastReadingBefore(deviceIds: readonly string[], before: Date): Promise<Map<string, Date>> {
      const { rows } = await pool.query<{ deviceId: string; time: Date | null }>(
        `SELECT d.id AS "deviceId",
                (SELECT max(t.time) FROM telemetry_messages t WHERE t.device_id = d.id AND t.time < $2) AS time
         FROM unnest($1::text[]) AS d(id)`,
        [deviceIds, before],
      );
      return new Map(rows.flatMap((r) => (r.time ? [[r.deviceId, r.time] as const] : [])));
    },
  };
}

export type RuleHistoryQueries = ReturnType<typeof createRuleHistoryQueries>;
