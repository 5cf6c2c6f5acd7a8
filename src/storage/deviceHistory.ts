// A device's connection history as ingest stores it (device_status_changes: every online/offline
// status message and every last will the broker published for it), newest first; the table's primary
// key (device_id, time) is the index behind it.
import type { Pool } from './pool.ts';

export interface StatusChange {
  time: Date;
  online: boolean;
  /** The broker published the device's last will: it dropped off without saying goodbye. */
  lastWill: boolean;
}

export function createDeviceHistoryQueries(pool: Pool) {
  return {
    async statusChanges(
      deviceId: string,
      range: { from?: Date; to?: Date; before?: Date; limit: number },
    ): Promise<StatusChange[]> {
      const { rows } = await pool.query<StatusChange>(
        `SELECT time, online, last_will AS "lastWill" FROM device_status_changes
         WHERE device_id = $1 AND ($2::timestamptz IS NULL OR time >= $2)
           AND ($3::timestamptz IS NULL OR time < $3) AND ($4::timestamptz IS NULL OR time < $4)
         ORDER BY time DESC LIMIT $5`,
        [deviceId, range.from ?? null, range.to ?? null, range.before ?? null, range.limit],
      );
      return rows;
    },
  };
}

export type DeviceHistoryQueries = ReturnType<typeof createDeviceHistoryQueries>;
