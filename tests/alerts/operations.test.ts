// What operators and other systems do with alerts: acknowledge and resolve with roles, rules edited
// live, alerts surviving a restart, signed webhooks with retries.

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signature } from '../../src/alerts/webhooks.ts';
import { AlertEventWire } from '../../src/alerts/wire.ts';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let viewer: Record<string, string>;
let operator: Record<string, string>;
const camera = {
  id: 'tn-p3-cam-9201',
  kind: 'camera',
  city: 'tay-ninh',
  ward: 'phuong-tan-ninh',
  lat: 11.305,
  lon: 106.1,
  pole: null,
  zone: null,
  name: 'Camera ngã tư thử',
} as const;

async function tamper() {
  const secret = await app.registry.rotateCredentials(camera.id);
  const client = await connectDevice(app.mqttUrl, camera.id, secret);
  await publish(
    client,
    `ioc/tay-ninh/camera/${camera.id}/telemetry`,
    JSON.stringify({ metrics: { tamper: 1, recording: 1 } }),
  );
  client.end(true);
  await app.alerts.engine.settled();
  const { body } = await app.request('GET', `/api/v1/alerts?deviceId=${camera.id}&state=active`, admin);
  return body.items[0];
}

beforeAll(async () => {
  // The webhook test's receiver listens on loopback, which webhooks may reach only when listed.
  app = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
  admin = await app.login();
  await app.registry.create(camera);
  viewer = await app.loginAs('viewer');
  operator = await app.loginAs('operator');
});
afterAll(async () => app.close());

describe('acknowledge and resolve', () => {
  it('lets an operator acknowledge with a note and then resolve; a viewer only reads', async () => {
    const alert = await tamper();
    expect(alert).toMatchObject({
      state: 'open',
      severity: 'critical',
      message: { vi: 'Camera bị can thiệp tại Camera ngã tư thử (Phường Tân Ninh)' },
    });

    const denied = await app.request('POST', `/api/v1/alerts/${alert.id}/ack`, viewer, { note: 'x' });
    expect(denied.status).toBe(403);
    expect((await app.request('GET', `/api/v1/alerts/${alert.id}`, viewer)).status).toBe(200);

    const acked = await app.request('POST', `/api/v1/alerts/${alert.id}/ack`, operator, {
      note: 'Đã cử tổ kỹ thuật / crew sent',
    });
    expect(acked.body).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'operator' });
    expect((await app.request('POST', `/api/v1/alerts/${alert.id}/ack`, operator, {})).body.error.code).toBe(
      'CONFLICT',
    );

    const resolved = await app.request('POST', `/api/v1/alerts/${alert.id}/resolve`, operator, {
      note: 'Camera lắp lại',
    });
    expect(resolved.body).toMatchObject({ state: 'resolved', resolvedBy: 'operator' });
    const { body } = await app.request('GET', `/api/v1/alerts/${alert.id}`, viewer);
    expect(body.history.map((h: any) => [h.action, h.actor, h.note])).toEqual([
      ['opened', 'system', null],
      ['acknowledged', 'operator', 'Đã cử tổ kỹ thuật / crew sent'],
      ['resolved', 'operator', 'Camera lắp lại'],
    ]);
    expect((await app.request('POST', '/api/v1/alerts/999999/ack', operator, {})).status).toBe(404);
  });

  it('filters the list and groups active alerts per ward and kind', async () => {
    await tamper();
    const list = await app.request(
      'GET',
      '/api/v1/alerts?state=active&severity=critical&city=tay-ninh&kind=camera',
      viewer,
    );
    expect(list.body.items).toHaveLength(1);
    expect((await app.request('GET', '/api/v1/alerts?state=bogus', viewer)).status).toBe(400);
    const summary = await app.request('GET', '/api/v1/alerts/summary', viewer);
    expect(summary.body.groups).toEqual([
      {
        city: 'tay-ninh',
        ward: 'phuong-tan-ninh',
        kind: 'camera',
        severity: 'critical',
        open: 1,
        acknowledged: 0,
        oldest: expect.any(String),
      },
    ]);
  });
});

describe('rules', () => {
  it('ships the defaults, lets an admin change one live, and refuses a rule that cannot work', async () => {
    const { body } = await app.request('GET', '/api/v1/rules', viewer);
    const storage = body.items.find((r: any) => r.key === 'camera-storage');
    expect(storage).toMatchObject({
      metric: 'storage_pct',
      comparison: '>=',
      threshold: 90,
      severity: 'warning',
    });
    expect(
      (await app.request('PATCH', `/api/v1/rules/${storage.id}`, viewer, { threshold: 50 })).status,
    ).toBe(403);
    const patched = await app.request('PATCH', `/api/v1/rules/${storage.id}`, admin, {
      threshold: 50,
      clearValue: 40,
    });
    expect(patched.body).toMatchObject({ threshold: 50, key: 'camera-storage' });

    const secret = await app.registry.rotateCredentials(camera.id);
    const client = await connectDevice(app.mqttUrl, camera.id, secret);
    await eventually(
      async () => {
        await publish(
          client,
          `ioc/tay-ninh/camera/${camera.id}/telemetry`,
          JSON.stringify({ metrics: { storage_pct: 60 } }),
        );
        await app.alerts.engine.settled();
        return (await app.request('GET', `/api/v1/alerts?deviceId=${camera.id}&state=active`, admin)).body
          .items;
      },
      (items) => items.some((a: any) => a.ruleName === storage.name),
    );
    client.end(true);

    const bad = await app.request('POST', '/api/v1/rules', admin, {
      name: 'x',
      type: 'threshold',
      severity: 'info',
      messageVi: 'x',
      messageEn: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/metric.*required/);
  });
});

describe('webhooks', () => {
  it('delivers each transition signed with HMAC, retrying after a failure, and logs the deliveries', async () => {
    // Close what earlier tests left open, so this tamper opens a fresh alert.
    for (const a of (await app.request('GET', `/api/v1/alerts?deviceId=${camera.id}&state=active`, admin))
      .body.items) {
      await app.request('POST', `/api/v1/alerts/${a.id}/resolve`, operator, {});
    }
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    let calls = 0;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls++;
        if (calls === 1) return res.writeHead(503).end(); // the first attempt fails
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
    const secret = 'a-webhook-secret-of-enough-length';
    const created = await app.request('POST', '/api/v1/webhooks', admin, {
      name: 'PCCC',
      url,
      secret,
      severities: ['critical'],
      kinds: ['camera'],
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toBe('[set]');

    const alert = await tamper();
    await app.alerts.webhooks.deliverDue();
    // Retry: the failed delivery is due again after its back-off; pretend the time has come.
    await app.pool.query("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE state = 'pending'");
    await eventually(
      async () => {
        await app.alerts.webhooks.deliverDue();
        return received.length;
      },
      (n) => n >= 1,
    );
    server.close();
    const [first] = received;
    const payload = JSON.parse(first!.body);
    // The body is the transition envelope with the alert as REST shows it, nothing more.
    expect(AlertEventWire.parse(payload)).toEqual(payload);
    expect(payload).toMatchObject({
      version: 1,
      event: 'alert.opened',
      action: 'opened',
      alert: { id: alert.id, severity: 'critical', message: alert.message, openedAt: alert.openedAt },
    });
    expect(first!.headers['x-ioc-signature']).toBe(
      signature(secret, String(first!.headers['x-ioc-timestamp']), first!.body),
    );
    const log = await app.request('GET', `/api/v1/webhooks/${created.body.id}/deliveries`, admin);
    expect(log.body.items[0]).toMatchObject({
      alertId: alert.id,
      state: 'delivered',
      attempts: 2,
      lastStatus: 204,
    });
  });
});

describe('restart', () => {
  it('keeps open alerts, and counts a repeat on them instead of opening a duplicate', {
    timeout: 60_000,
  }, async () => {
    const database = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), 'ioc-restart-'));
    const config = loadConfig({
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      ADMIN_PASSWORD: testAdminPassword,
      INGEST_FLUSH_MS: '10',
    });
    const log = createLogger('silent');
    const send = async (running: Awaited<ReturnType<typeof startApp>>, secret: string) => {
      const client = await connectDevice(`mqtt://127.0.0.1:${running.mqttPort}`, camera.id, secret);
      await publish(
        client,
        `ioc/tay-ninh/camera/${camera.id}/telemetry`,
        JSON.stringify({ metrics: { tamper: 1 } }),
      );
      client.end(true);
      await running.alerts.engine.settled();
    };
    try {
      const first = await startApp(config, log);
      const { secret } = await first.registry.create(camera);
      await send(first, secret);
      await first.stop();
      const second = await startApp(config, log);
      await send(second, secret);
      const { rows } = await second.pool.query('SELECT state, count FROM alerts WHERE device_id = $1', [
        camera.id,
      ]);
      await second.stop();
      expect(rows).toHaveLength(1);
      expect(rows[0].state).toBe('open');
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
