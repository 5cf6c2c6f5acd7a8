// Typed queries on device commands.
import type { Pool } from './pool.ts';

export type CommandState = 'pending' | 'succeeded' | 'failed' | 'timed_out';

export interface CommandRecord {
  id: string;
  deviceId: string;
  name: string;
  args: Record<string, unknown>;
  state: CommandState;
  requestedBy: string;
  requestedAt: Date;
  sentAt: Date | null;
  completedAt: Date | null;
  timeoutAt: Date;
  result: Record<string, unknown> | null;
}

const columns = `id, device_id AS "deviceId", name, args, state, requested_by AS "requestedBy",
  requested_at AS "requestedAt", sent_at AS "sentAt", completed_at AS "completedAt", timeout_at AS "timeoutAt", result`;

export function createCommandQueries(pool: Pool) {
  return {
    async insert(
      c: Omit<CommandRecord, 'state' | 'sentAt' | 'completedAt' | 'result'>,
    ): Promise<CommandRecord> {
      const { rows } = await pool.query<CommandRecord>(
        `INSERT INTO device_commands (id, device_id, name, args, state, requested_by, requested_at, timeout_at)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7) RETURNING ${columns}`,
        [c.id, c.deviceId, c.name, JSON.stringify(c.args), c.requestedBy, c.requestedAt, c.timeoutAt],
      );
      return rows[0]!;
    },
    async markSent(id: string, at: Date): Promise<CommandRecord | undefined> {
      const { rows } = await pool.query<CommandRecord>(
        `UPDATE device_commands SET sent_at = $2 WHERE id = $1 RETURNING ${columns}`,
        [id, at],
      );
      return rows[0];
    },
    /** Completes a pending command of that device; undefined when it was not pending (late or duplicate answer). */
    async complete(
      deviceId: string,
      id: string,
      state: 'succeeded' | 'failed',
      result: Record<string, unknown>,
      at: Date,
    ): Promise<CommandRecord | undefined> {
      const { rows } = await pool.query<CommandRecord>(
        `UPDATE device_commands SET state = $2, result = $3, completed_at = $4
         WHERE id = $1 AND device_id = $5 AND state = 'pending' RETURNING ${columns}`,
        [id, state, JSON.stringify(result), at, deviceId],
      );
      return rows[0];
    },
    async timeOut(now: Date): Promise<CommandRecord[]> {
      const { rows } = await pool.query<CommandRecord>(
        `UPDATE device_commands SET state = 'timed_out', completed_at = $1
         WHERE state = 'pending' AND timeout_at <= $1 RETURNING ${columns}`,
        [now],
      );
      return rows;
    },
    async get(deviceId: string, id: string): Promise<CommandRecord | undefined> {
      const { rows } = await pool.query<CommandRecord>(
        `SELECT ${columns} FROM device_commands WHERE device_id = $1 AND id = $2`,
        [deviceId, id],
      );
      return rows[0];
    },
    async list(deviceId: string, limit: number): Promise<CommandRecord[]> {
      const { rows } = await pool.query<CommandRecord>(
        `SELECT ${columns} FROM device_commands WHERE device_id = $1 ORDER BY requested_at DESC LIMIT $2`,
        [deviceId, limit],
      );
      return rows;
    },
  };
}

export type CommandQueries = ReturnType<typeof createCommandQueries>;
