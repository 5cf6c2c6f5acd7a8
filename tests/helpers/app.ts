// Starts the whole system for a test: fresh database, any free ports, a temporary DATA_DIR.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApp, startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDatabase } from './database.ts';

export const testAdminPassword = 'test-admin-password-1234';

export interface TestApp extends RunningApp {
  baseUrl: string;
  mqttUrl: string;
  close(): Promise<void>;
  /** Logs in and returns headers with the bearer token. */
  login(username?: string, password?: string): Promise<Record<string, string>>;
}

export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'ioc-test-data-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    ADMIN_PASSWORD: testAdminPassword,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    INGEST_FLUSH_MS: '10',
    ...env,
  });
  const app = await startApp(config, createLogger(config.LOG_LEVEL)).catch(async (error) => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  const baseUrl = `http://127.0.0.1:${app.httpPort}`;
  return Object.assign(app, {
    baseUrl,
    mqttUrl: `mqtt://127.0.0.1:${app.mqttPort}`,
    async close() {
      await app.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
    async login(username = 'admin', password = testAdminPassword) {
      const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      const { token } = (await res.json()) as { token: string };
      return { authorization: `Bearer ${token}` };
    },
  });
}
