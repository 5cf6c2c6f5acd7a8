// What a database holds, in the counts a person checks a restore by: the same devices, rules, alerts
// and readings as the IOC that was backed up.
import { withClient } from '../storage/pool.ts';

export interface Contents {
  devices: number;
  rules: number;
  alerts: number;
  /** Telemetry messages stored (each holds one reading of several metrics). */
  messages: number;
  users: number;
}

export async function countContents(url: string): Promise<Contents> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<Contents>(
      `SELECT (SELECT count(*) FROM devices)::int AS devices, (SELECT count(*) FROM alert_rules)::int AS rules,
              (SELECT count(*) FROM alerts)::int AS alerts, (SELECT count(*) FROM telemetry_messages)::float8 AS messages,
              (SELECT count(*) FROM users)::int AS users`,
    );
    return rows[0]!;
  });
}
