// Every scenario of simulators/scenarios/ replayed fast against the running system (real MQTT, real
// PostgreSQL), asserting that the IOC shows exactly what the scenario says: these alerts opened or
// resolved and no other on its devices, these dead letters, and every reading stored.
// Replays anchored at a time of day (a night-time power cut) arrive hours old, so this IOC treats
// readings up to two days old as live (INGEST_LATE_AFTER_S); the outage scenario, which is about late
// data, has its own file with the default.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listScenarios, loadScenario, replayScenario } from '../../simulators/scenario.ts';
import type { DeviceCredentials } from '../../src/registry/fleets.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';
import {
  expectedAlerts,
  readingCounts,
  registerScenarioDevices,
  shownAlerts,
  shownDeadLetters,
} from './replay.ts';

const scenarios = listScenarios()
  .filter((name) => name !== 'network-outage-backlog')
  .map((name) => loadScenario(name));
let app: TestApp;
let credentials: DeviceCredentials[];

beforeAll(async () => {
  app = await startTestApp({ INGEST_LATE_AFTER_S: String(2 * 86_400) });
  credentials = await registerScenarioDevices(app, scenarios);
});
afterAll(async () => {
  await app.close();
});

describe.concurrent('a replayed scenario shows in the IOC exactly as it says', () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: ${scenario.title.en}`, { timeout: 50_000 }, async () => {
      const replay = replayScenario({
        scenario,
        catalog: app.catalog,
        mqttUrl: app.mqttUrl,
        credentials,
        speed: scenario.testSpeed,
      });
      try {
        await replay.finished;
        const expected = expectedAlerts(scenario, app.catalog);
        const alerts = await eventually(
          () => shownAlerts(app, replay),
          (shown) => JSON.stringify(shown) === JSON.stringify(expected),
          10_000,
        );
        expect({
          missing: expected.filter((a) => !alerts.includes(a)),
          unexpected: alerts.filter((a) => !expected.includes(a)),
        }).toEqual({ missing: [], unexpected: [] });
        const rawTopics = scenario.steps.flatMap((s) => (s.raw?.topic.includes('/') ? [s.raw.topic] : []));
        const letters = await eventually(
          () => shownDeadLetters(app, replay, rawTopics),
          (shown) =>
            JSON.stringify(Object.entries(shown).sort()) ===
            JSON.stringify(Object.entries(scenario.expect.deadLetters).sort()),
        );
        expect(letters).toEqual(scenario.expect.deadLetters);
        if (scenario.expect.noLoss) {
          const counts = await eventually(
            () => readingCounts(app, replay),
            (list) => list.every((d) => d.stored === d.sent),
          );
          for (const device of counts) expect(device.stored, device.id).toBe(device.sent);
          expect(counts.every((d) => d.sent > 0)).toBe(true);
        }
      } finally {
        await replay.fleet.stop();
      }
    });
  }
});
