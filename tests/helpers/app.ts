// Starts the whole system for a test: fresh database, any free ports, a temporary DATA_DIR.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningApp, startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDatabase } from './database.ts';

export const testAdminPassword = 'test-admin-password-1234';

/**
 * The newcomer's configuration: no DATABASE_URL (the embedded PostgreSQL of dataDir), any free ports
 * on loopback, no logs; `env` adds to it.
 */
export function embeddedConfig(dataDir: string, env: Record<string, string> = {}) {
  return loadConfig({
    DATA_DIR: dataDir,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
}

export interface TestApp extends RunningApp {
  baseUrl: string;
  mqttUrl: string;
  close(): Promise<void>;
  /** Logs in and returns headers with the bearer token. */
  login(username?: string, password?: string): Promise<Record<string, string>>;
  /** Creates a user named after the role (same password as the admin) and logs it in. */
  loginAs(role: 'viewer' | 'operator' | 'admin'): Promise<Record<string, string>>;
  /** An HTTP call: a string body is sent as written (to test malformed JSON), anything else as JSON. */
  request(
    method: string,
    path: string,
    headers?: Record<string, string>,
    body?: unknown,
  ): Promise<{ status: number; body: any }>;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: {
    logDestination?: { write(line: string): void };
    /** Another instance on this (existing) database: it is neither created nor dropped here. */
    databaseUrl?: string;
  } = {},
): Promise<TestApp> {
  const database = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => {} }
    : await createTestDatabase();
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
    // Tests publish bursts from one device; the ones about rate limits set them.
    INGEST_DEVICE_RATE_PER_S: '0',
    // Latest values reach device_latest within half a second, not the production 5 s, so tests that
    // read the table directly need not wait long.
    INGEST_LATEST_FLUSH_MS: '500',
    ...env,
  });
  const log = createLogger(config.LOG_LEVEL, options.logDestination);
  const app = await startApp(config, log).catch(async (error) => {
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
    async loginAs(role: 'viewer' | 'operator' | 'admin') {
      await app.pool.query(
        `INSERT INTO users (username, password_hash, role) SELECT $1, password_hash, $1 FROM users WHERE username = 'admin'
         ON CONFLICT (username) DO NOTHING`,
        [role],
      );
      return this.login(role, testAdminPassword);
    },
    async request(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
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
