// The broker's own thread and the app's: what crosses between them when the IOC stops.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startThreadProfiler } from '../../bench/profiler.ts';
import { brokerThreadName } from '../../src/broker/index.ts';
import { startTestApp } from '../helpers/app.ts';
import { crashBrokerThread } from '../helpers/brokerThread.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

const device = {
  id: 'ha-mh-env-9101',
  kind: 'environment',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.326,
  pole: null,
  zone: null,
  name: 'Trạm môi trường thử',
} as const;

describe('the broker thread', () => {
  it('stores the wills of devices still connected when the IOC stops, before it stops', async () => {
    const database = await createTestDatabase();
    try {
      const app = await startTestApp({}, { databaseUrl: database.url });
      const { secret } = await app.registry.create(device);
      const client = await connectDevice(app.mqttUrl, device.id, secret, {
        will: {
          topic: `ioc/hoi-an/environment/${device.id}/status`,
          payload: Buffer.from('{"online": false}'),
          qos: 1,
          retain: false,
        },
      });
      await app.close();
      client.end(true);
      const db = new pg.Client({ connectionString: database.url });
      await db.connect();
      try {
        const { rows } = await db.query(
          'SELECT online, last_will FROM device_status_changes WHERE device_id = $1',
          [device.id],
        );
        expect(rows).toEqual([{ online: false, last_will: true }]);
      } finally {
        await db.end();
      }
    } finally {
      await database.drop();
    }
  });

  it('is started again on the same port when it dies, and devices reconnect and are stored', async () => {
    const app = await startTestApp();
    try {
      const { secret } = await app.registry.create(device);
      const topic = `ioc/hoi-an/environment/${device.id}/telemetry`;
      const client = await connectDevice(app.mqttUrl, device.id, secret, { reconnectPeriod: 200 });
      // The helper ends a client on its first error; this one must keep trying while the port is shut.
      client.removeAllListeners('error');
      client.on('error', () => {});
      try {
        await publish(client, topic, JSON.stringify({ ts: Date.now() - 1_000, metrics: { pm25: 11 } }));
        const reconnected = new Promise<void>((ok) =>
          client.once('reconnect', () => client.once('connect', () => ok())),
        );
        await crashBrokerThread();
        // Down until it is started again, a second later.
        expect(
          await eventually(
            async () => app.broker.ready(),
            (ready) => !ready,
          ),
        ).toBe(false);
        await reconnected;
        expect(app.broker.ready()).toBe(true);
        await publish(client, topic, JSON.stringify({ ts: Date.now(), metrics: { pm25: 12 } }));
        const { rows } = await eventually(
          () =>
            app.pool.query('SELECT metric, value FROM telemetry WHERE device_id = $1 ORDER BY time', [
              device.id,
            ]),
          (r) => r.rows.length === 2,
        );
        expect(rows).toEqual([
          { metric: 'pm25', value: 11 },
          { metric: 'pm25', value: 12 },
        ]);
      } finally {
        client.end(true);
      }
    } finally {
      await app.close();
    }
  });

  it('is profiled from outside by its name, as the bench does with --profile', async () => {
    const app = await startTestApp();
    const dir = await mkdtemp(join(tmpdir(), 'ioc-thread-profile-'));
    try {
      const { secret } = await app.registry.create(device);
      const profiler = await startThreadProfiler(brokerThreadName);
      const client = await connectDevice(app.mqttUrl, device.id, secret);
      try {
        for (let i = 0; i < 20; i++) {
          const reading = { ts: Date.now() - 60_000 + i, metrics: { pm25: i } };
          await publish(client, `ioc/hoi-an/environment/${device.id}/telemetry`, JSON.stringify(reading));
        }
      } finally {
        client.end(true);
      }
      const file = join(dir, 'broker-thread.cpuprofile');
      await profiler.stop(file);
      const profile = JSON.parse(await readFile(file, 'utf8'));
      // The thread's own code is in it: aedes's handlers ran there, not on this thread.
      const urls = new Set(profile.nodes.map((n: { callFrame: { url: string } }) => n.callFrame.url));
      expect([...urls].some((url) => String(url).includes('/aedes/'))).toBe(true);
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
