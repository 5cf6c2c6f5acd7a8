// What the scenario replay tests share: register a scenario's devices in the running IOC, and read
// back what the IOC shows about them (alerts, dead letters, stored readings) in the scenario's terms.

import { type Replay, resolveGroups, type Scenario } from '../../simulators/scenario.ts';
import type { RunningApp } from '../../src/app.ts';
import type { Catalog } from '../../src/catalog/index.ts';
import type { DeviceCredentials } from '../../src/registry/fleets.ts';
import { topicPrefix } from '../../src/registry/fleets.ts';

export async function registerScenarioDevices(
  app: RunningApp,
  scenarios: Scenario[],
): Promise<DeviceCredentials[]> {
  const fields = scenarios.flatMap((scenario) => {
    const fleet = app.catalog.fleets.get(scenario.city)!;
    const ids = new Set([...resolveGroups(scenario, app.catalog).values()].flat());
    return fleet.devices
      .filter((d) => ids.has(d.id))
      .map((d) => ({ ...d, city: fleet.city, pole: d.pole ?? null, zone: d.zone ?? null }));
  });
  const created = await app.registry.createMany(fields);
  return created.map(({ id, secret }) => {
    const device = app.registry.get(id)!;
    return { id, kind: device.kind, city: device.city, topicPrefix: topicPrefix(device), secret };
  });
}

/** `rule device state` lines the scenario expects, sorted. */
export function expectedAlerts(scenario: Scenario, catalog: Catalog): string[] {
  const groups = resolveGroups(scenario, catalog);
  return scenario.expect.alerts
    .flatMap((a) => groups.get(a.group)!.map((id) => `${a.rule} ${id} ${a.state}`))
    .sort();
}

/** Every alert the IOC holds on the replay's devices, as `rule device state` lines, sorted. */
export async function shownAlerts(app: RunningApp, replay: Replay): Promise<string[]> {
  const { rows } = await app.pool.query<{ key: string; device_id: string; state: string }>(
    `SELECT r.default_key AS key, a.device_id, a.state FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
     WHERE a.device_id = ANY($1)`,
    [[...replay.fleet.devices.keys()]],
  );
  return rows.map((r) => `${r.key} ${r.device_id} ${r.state === 'acknowledged' ? 'open' : r.state}`).sort();
}

/** Dead letters about the replay's devices (by device or by a topic naming one), counted by reason. */
export async function shownDeadLetters(app: RunningApp, replay: Replay, extraTopics: string[] = []) {
  const ids = [...replay.fleet.devices.keys()];
  const { rows } = await app.pool.query<{ reason: string; n: number }>(
    `SELECT reason, count(*)::int AS n FROM dead_letters
     WHERE device_id = ANY($1) OR topic = ANY($2) OR split_part(topic, '/', 4) = ANY($1)
     GROUP BY reason`,
    [ids, extraTopics],
  );
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

/** Per device: readings the simulator sent and distinct reading times stored. */
export async function readingCounts(app: RunningApp, replay: Replay) {
  const { rows } = await app.pool.query<{ device_id: string; n: number }>(
    'SELECT device_id, count(DISTINCT time)::int AS n FROM telemetry WHERE device_id = ANY($1) GROUP BY device_id',
    [[...replay.fleet.devices.keys()]],
  );
  const stored = new Map(rows.map((r) => [r.device_id, r.n]));
  return [...replay.fleet.devices.values()].map((d) => ({
    id: d.id,
    sent: d.readingsSent,
    stored: stored.get(d.id) ?? 0,
  }));
}
