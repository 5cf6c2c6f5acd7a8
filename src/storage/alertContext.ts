// The stored state of the few devices around an alert: connection state, last status message and
// latest values, read in two statements whatever their number.
import type { Pool } from './pool.ts';

export interface DeviceState {
  online: boolean | null;
  statusAt: Date | null;
  status: Record<string, unknown> | null;
  lastSeen: Date | null;
  latest: Array<{ metric: string; time: Date; value: number }>;
}

export function createAlertContextQueries(pool: Pool) {
  return {
    async deviceStates(ids: readonly string[]): Promise<Map<string, DeviceState>> {
      const states = new Map<string, DeviceState>();
      if (ids.length === 0) return states;
      const [devices, latest] = await Promise.all([
        pool.query<{ id: string } & Omit<DeviceState, 'latest'>>(
          `SELECT id, online, status_at AS "statusAt", status, last_seen AS "lastSeen"
             FROM devices WHERE id = ANY($1::text[])`,
          [ids],
        ),
        pool.query<{ deviceId: string; metric: string; time: Date; value: number }>(
          `SELECT device_id AS "deviceId", metric, time, value FROM device_latest
            WHERE device_id = ANY($1::text[]) ORDER BY device_id, metric`,
          [ids],
        ),
      ]);
      for (const { id, ...state } of devices.rows) states.set(id, { ...state, latest: [] });
      for (const { deviceId, ...value } of latest.rows) states.get(deviceId)?.latest.push(value);
      return states;
    },
  };
}

export type AlertContextQueries = ReturnType<typeof createAlertContextQueries>;
