// The real process (`npm start`'s entry, src/main.ts under tsx) as a child, for tests that kill it:
// started with an environment, its ports read from what it prints, its admin logged in.
import { type ChildProcess, spawn } from 'node:child_process';

const root = new URL('../../', import.meta.url).pathname;
export const processAdminPassword = 'process-test-password';

export interface AppProcess {
  child: ChildProcess;
  http: number;
  mqtt: number;
  exited: Promise<number | null>;
  output(): string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** A value of /metrics (the first sample of that name). */
  metric(name: string): Promise<number>;
}

export async function startAppProcess(env: Record<string, string>): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HTTP_PORT: '0',
      MQTT_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      MQTT_HOST: '127.0.0.1',
      ADMIN_PASSWORD: processAdminPassword,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const ports = await new Promise<{ http: number; mqtt: number }>((ok, fail) => {
    child.stdout!.on('data', () => {
      const match = output.match(/IOC: http:\/\/localhost:(\d+)\/.*MQTT: mqtt:\/\/localhost:(\d+)/);
      if (match) ok({ http: Number(match[1]), mqtt: Number(match[2]) });
    });
    void exited.then((code) => fail(new Error(`process exited (${code}) before it was ready:\n${output}`)));
  });
  const base = `http://127.0.0.1:${ports.http}`;
  let token: string | undefined;
  const api = async (method: string, path: string, body?: unknown) => {
    if (!token) {
      const res = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: processAdminPassword }),
      });
      token = ((await res.json()) as { token: string }).token;
    }
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    child,
    ...ports,
    exited,
    output: () => output,
    api,
    async metric(name) {
      const text = await (await fetch(`${base}/metrics`)).text();
      return Number(text.match(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm'))?.[1] ?? Number.NaN);
    },
  };
}
