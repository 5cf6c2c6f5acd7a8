// The newcomer's path: no DATABASE_URL, so the app runs its own PostgreSQL in DATA_DIR (as root in CI).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.ts';
import { createLogger } from '../../src/log.ts';
import { embeddedConfig } from '../helpers/app.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('embedded PostgreSQL', () => {
  it('starts with nothing but DATA_DIR, stores telemetry, and keeps it across a restart', {
    timeout: 90_000,
  }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ioc-embedded-'));
    dirs.push(dataDir);
    const config = embeddedConfig(dataDir);
    expect(config.DATABASE_URL).toBeUndefined();
    const log = createLogger('silent');

    const first = await startApp(config, log);
    expect(first.generatedAdminPassword).toMatch(/^[A-Za-z0-9_-]{16}$/);
    const device = {
      id: 'tn-p1-env-9100',
      kind: 'environment',
      city: 'tay-ninh',
      ward: 'phuong-tan-ninh',
      lat: 11.31,
      lon: 106.1,
      pole: null,
      zone: null,
      name: 'Trạm nhúng',
    } as const;
    const { secret } = await first.registry.create(device);
    const client = await connectDevice(`mqtt://127.0.0.1:${first.mqttPort}`, device.id, secret);
    await publish(
      client,
      `ioc/tay-ninh/environment/${device.id}/telemetry`,
      JSON.stringify({ metrics: { pm25: 33 } }),
    );
    client.end(true);
    await first.stop();

    const second = await startApp(config, log);
    try {
      expect(second.generatedAdminPassword).toBeUndefined(); // the admin exists; no new password
      const { rows } = await second.pool.query('SELECT value FROM telemetry WHERE device_id = $1', [
        device.id,
      ]);
      expect(rows).toEqual([{ value: 33 }]);
      expect(second.registry.get(device.id)?.name).toBe('Trạm nhúng');
      const ready = await fetch(`http://127.0.0.1:${second.httpPort}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});
