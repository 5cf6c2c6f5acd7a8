// Dead letters: every refused MQTT message (or part of one), kept with its reason for operators.
import type { DeviceScope } from '../auth/deviceScope.ts';
import type { Scope } from '../auth/scope.ts';
import { deadLetterDeviceClause, deviceScopeParameters } from './deviceScope.ts';
import type { Pool } from './pool.ts';
import { scopeClause, scopeParameter } from './scope.ts';

export interface DeadLetterRow {
  receivedAt: Date;
  deviceId: string | null;
  topic: string;
  reason: string;
  message: string;
  payload: Buffer | null;
  payloadBytes: number;
}

export async function insertDeadLetters(pool: Pool, rows: DeadLetterRow[]): Promise<void> {
  if (rows.length === 0) return;
  await pool.query(
    `INSERT INTO dead_letters (received_at, device_id, topic, reason, message, payload, payload_bytes)
     SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::int[])`,
    [
      rows.map((r) => r.receivedAt),
      rows.map((r) => r.deviceId),
      rows.map((r) => r.topic),
      rows.map((r) => r.reason),
      rows.map((r) => r.message),
      rows.map((r) => r.payload),
      rows.map((r) => r.payloadBytes),
    ],
  );
}

export interface DeadLetterQuery {
  deviceId?: string;
  reason?: string;
  from?: Date;
  limit: number;
  beforeId?: number;
  /**
   * What the caller reaches: the dead letters of registered devices in it. What no registered device
   * sent (an unknown client, a deleted device) belongs to no area, so to the global scope only.
   */
  scope?: Scope;
  /** An installer's device lists: the dead letters naming its devices (src/storage/deviceScope.ts). */
  devices?: DeviceScope;
}

export interface DeadLetterRecord {
  id: number;
  receivedAt: Date;
  deviceId: string | null;
  topic: string;
  reason: string;
  message: string;
  /** The kept first bytes, base64: a garbage payload need not be valid UTF-8. */
  payloadBase64: string | null;
  payloadBytes: number;
}

export async function listDeadLetters(pool: Pool, q: DeadLetterQuery): Promise<DeadLetterRecord[]> {
  const { rows } = await pool.query<DeadLetterRecord>(
    `SELECT id::int, received_at AS "receivedAt", device_id AS "deviceId", topic, reason, message,
            encode(payload, 'base64') AS "payloadBase64", payload_bytes AS "payloadBytes"
     FROM dead_letters
     WHERE ($1::text IS NULL OR device_id = $1) AND ($2::text IS NULL OR reason = $2)
       AND ($3::timestamptz IS NULL OR received_at >= $3) AND ($4::bigint IS NULL OR id < $4)
       AND ($6::text[] IS NULL OR EXISTS (SELECT 1 FROM devices d WHERE d.id = device_id
             AND ${scopeClause('$6', { city: 'd.city', ward: 'd.ward' })}))
       AND ${deadLetterDeviceClause('$7', '$8')}
     ORDER BY id DESC LIMIT $5`,
    [
      q.deviceId ?? null,
      q.reason ?? null,
      q.from ?? null,
      q.beforeId ?? null,
      q.limit,
      q.scope ? scopeParameter(q.scope) : null,
      ...deviceScopeParameters(q.devices),
    ],
  );
  return rows;
}
