// The refresher reads the stations' daily VN_AQI inputs in slices of the fleet (src/feeds/refresher.ts):
// together the slices must be exactly the whole.
import { describe, expect, it } from 'vitest';
import type { Pool } from '../../src/storage/pool.ts';
import { type DailyAqiRow, dailyAqiInputs } from '../../src/storage/rollups.ts';
import { useMigratedDatabase } from '../helpers/database.ts';

let pool: Pool;
useMigratedDatabase((p) => {
  pool = p;
});

describe("the stations' daily VN_AQI inputs in slices", () => {
  it('gives every station once across the slices, with the same figures as one read of the whole', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `aqi-slice-${String(i).padStart(2, '0')}`);
    await pool.query(
      `INSERT INTO devices (id, kind, city, ward, lat, lon, name, secret_hash)
       SELECT id, 'environment', 'hoi-an', 'phuong-hoi-an', 15.88, 108.33, id, 'x' FROM unnest($1::text[]) AS id`,
      [ids],
    );
    // 2026-11-22 in Hội An (UTC+7) starts at 17:00 UTC the day before: eight hours of it, six pollutants.
    await pool.query(
      `INSERT INTO telemetry_hourly (device_id, metric, hour, count, sum, min, max)
       SELECT id, metric, timestamptz '2026-11-21T17:00:00Z' + h * interval '1 hour', 4,
              4 * (10 + h + length(id) % 7), 1, 90
       FROM unnest($1::text[]) AS id,
            unnest(ARRAY['pm25', 'pm10', 'o3', 'no2', 'so2', 'co']) AS metric,
            generate_series(0, 7) AS h`,
      [ids],
    );
    const client = await pool.connect();
    try {
      const whole = await dailyAqiInputs(client, ['2026-11-22']);
      const sliced: DailyAqiRow[] = [];
      for (let index = 0; index < 3; index++)
        sliced.push(...(await dailyAqiInputs(client, ['2026-11-22'], { index, of: 3 })));
      const byStation = (rows: DailyAqiRow[]) =>
        [...rows].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
      expect(whole).toHaveLength(40);
      expect(byStation(sliced)).toEqual(byStation(whole));
      expect(whole[0]!.o3_8hMax).not.toBeNull();
    } finally {
      client.release();
    }
  });
});
