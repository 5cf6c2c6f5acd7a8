// The network outage scenario against an IOC with the default late-data window: the backlog arrives
// as arrays, is stored at its own times, and raises no alert as if it were live. The 60-s grace of the
// last-will rule is wall-clock time, longer than the fast replay's outage: the test moves the alert
// sweep's clock past it while the devices are away, as if the outage were lived at real speed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScenario, replayScenario } from '../../simulators/scenario.ts';
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

const scenario = loadScenario('network-outage-backlog');
let app: TestApp;
let credentials: DeviceCredentials[];

beforeAll(async () => {
  app = await startTestApp();
  credentials = await registerScenarioDevices(app, [scenario]);
});
afterAll(async () => {
  await app.close();
});

describe('a 30-minute network outage, replayed', () => {
  it('shows the devices offline, then the backlog stored as measured, with no stale alert and no loss', {
    timeout: 50_000,
  }, async () => {
    let outageStep: Promise<void> | undefined;
    const replay = replayScenario({
      scenario,
      catalog: app.catalog,
      mqttUrl: app.mqttUrl,
      credentials,
      speed: scenario.testSpeed,
      onStep(step) {
        if (step.network !== 'down' || outageStep) return;
        outageStep = (async () => {
          const ids = credentials.map((c) => c.id);
          const offline = await eventually(
            async () =>
              (
                await app.pool.query(
                  'SELECT count(*)::int AS n FROM devices WHERE id = ANY($1) AND NOT online',
                  [ids],
                )
              ).rows[0].n,
            (n) => n === ids.length,
          );
          expect(offline).toBe(ids.length);
          await app.alerts.engine.sweep(new Date(Date.now() + 61_000));
        })();
      },
    });
    try {
      await replay.finished;
      await outageStep;
      const expected = expectedAlerts(scenario, app.catalog);
      const alerts = await eventually(
        () => shownAlerts(app, replay),
        (shown) => JSON.stringify(shown) === JSON.stringify(expected),
        10_000,
      );
      expect(alerts).toEqual(expected);
      expect(await shownDeadLetters(app, replay)).toEqual({});
      const counts = await eventually(
        () => readingCounts(app, replay),
        (list) => list.every((d) => d.stored === d.sent),
      );
      for (const device of counts) expect(device.stored, device.id).toBe(device.sent);
      // The backlog came as arrays: fewer messages than readings.
      expect(replay.fleet.stats.published).toBeLessThan(replay.fleet.stats.readings);
      // The 30 cm measured during the outage is stored at its own time.
      const flooded = await app.pool.query(
        "SELECT count(*)::int AS n FROM telemetry WHERE device_id = 'tn-p1-env-0001' AND metric = 'water_level_cm' AND value = 30 AND time BETWEEN $1 AND $2",
        [new Date(replay.startMs + 600_000), new Date(replay.startMs + 1_200_000)],
      );
      expect(flooded.rows[0].n).toBeGreaterThan(5);
    } finally {
      await replay.fleet.stop();
    }
  });
});
