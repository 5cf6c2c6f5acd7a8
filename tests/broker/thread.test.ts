// The broker's own thread and the app's: what crosses between them when the IOC stops.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { connectDevice } from '../helpers/mqtt.ts';

const device = {
  id: 'ha-mh-env-9101',
  kind: 'environment',
  city: 'hoi-an',
  ward: 'minh-an',
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
});
