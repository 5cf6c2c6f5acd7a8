// The fresh-clone path end to end: a city's fleet registered through the API, simulated devices
// publishing over their own MQTT connections, and the latest values visible on GET /devices/:id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningFleet, runFleet } from '../../simulators/fleet.ts';
import type { DeviceCredentials } from '../../src/registry/fleets.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { eventually } from '../helpers/mqtt.ts';

let app: TestApp;
let headers: Record<string, string>;
let credentials: DeviceCredentials[];
let fleet: RunningFleet | undefined;
/** The first device of each kind. */
const oneOfEachKind = () =>
  credentials.filter((c, i) => credentials.findIndex((d) => d.kind === c.kind) === i);

beforeAll(async () => {
  app = await startTestApp();
  headers = { ...(await app.login()), 'content-type': 'application/json' };
});
afterAll(async () => {
  await fleet?.stop();
  await app.close();
});

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${app.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('a simulated fleet', () => {
  it("registers Hội An's whole fleet from devices/ and hands out each device's credentials once", {
    timeout: 60_000,
  }, async () => {
    const expected = app.catalog.fleets.get('hoi-an')!.devices.length;
    const first = await api('POST', '/api/v1/fleets/hoi-an/load', {});
    expect(first.status).toBe(200);
    expect(first.body.created).toBe(expected);
    expect(first.body.credentials).toHaveLength(expected);
    credentials = first.body.credentials;
    const again = await api('POST', '/api/v1/fleets/hoi-an/load', {});
    expect(again.body).toMatchObject({ created: 0, rotated: 0, credentials: [] });
    const kinds = new Set(credentials.map((c) => c.kind));
    expect(kinds).toEqual(new Set(['streetlight', 'environment', 'noise', 'fire', 'waste', 'camera']));
  });

  it('publishes every kind over real MQTT, and the API shows the latest values within seconds', async () => {
    const sample = oneOfEachKind();
    fleet = runFleet({
      mqttUrl: app.mqttUrl,
      devices: sample,
      catalog: app.catalog,
      rate: 30,
      qos: 1,
      seed: 7,
    });
    await fleet.ready;
    for (const device of sample) {
      const { body } = await eventually(
        () => api('GET', `/api/v1/devices/${device.id}`),
        (r) => Object.keys(r.body.latest ?? {}).length > 0 && r.body.online === true,
        5_000,
      );
      const metrics = Object.keys(app.catalog.kind(device.kind as never).metrics);
      expect(Object.keys(body.latest).sort(), device.kind).toEqual(metrics.sort());
      expect(body.online).toBe(true);
    }
    const letters = await app.pool.query('SELECT reason, message FROM dead_letters');
    expect(letters.rows).toEqual([]);
  });

  it('obeys a set_lamp command and answers with cmd_result', async () => {
    const lamp = credentials.find((c) => c.kind === 'streetlight')!;
    await app.broker.publish(
      `${lamp.topicPrefix}cmd`,
      JSON.stringify({ id: 'cmd-1', name: 'set_lamp', args: { on: true, dim_pct: 40 } }),
    );
    const result = await eventually(
      async () =>
        (
          await app.pool.query(
            "SELECT data FROM device_events WHERE device_id = $1 AND type = 'cmd_result'",
            [lamp.id],
          )
        ).rows,
      (rows) => rows.length > 0,
    );
    expect(result[0].data).toEqual({ id: 'cmd-1', ok: true, detail: 'applied' });
    const latest = await eventually(
      () => api('GET', `/api/v1/devices/${lamp.id}`),
      (r) => r.body.latest.dim_pct?.value === 40,
    );
    expect(latest.body.latest.lamp_on.value).toBe(1);
  });

  it('marks its devices offline when it stops', async () => {
    const sample = oneOfEachKind();
    await fleet!.stop();
    fleet = undefined;
    const { rows } = await app.pool.query(
      'SELECT bool_or(online) AS any_online FROM devices WHERE id = ANY($1)',
      [sample.map((d) => d.id)],
    );
    expect(rows[0].any_online).toBe(false);
  });
});
