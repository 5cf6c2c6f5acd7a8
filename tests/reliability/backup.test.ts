// Backups on the default install: the embedded PostgreSQL copied while the IOC runs (npm run backup,
// and the nightly schedule), restored into an empty DATA_DIR (npm run restore) where the IOC starts with
// the same devices, rules, alerts, readings and accounts; a failed or missing backup raises the IOC's
// self-alert, and a good one resolves it.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningApp, startApp } from '../../src/app.ts';
import { backupCluster } from '../../src/backup/cluster.ts';
import { countContents } from '../../src/backup/contents.ts';
import { createBackupScheduler, nextRunAt } from '../../src/backup/scheduler.ts';
import type { Problem } from '../../src/backup/selfAlert.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createMetrics } from '../../src/metrics/index.ts';
import { embeddedConfig } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const password = 'backup-test-password-1234';
const dirs: string[] = [];
const apps: RunningApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.stop().catch(() => {});
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function startEmbedded(dataDir: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const config = embeddedConfig(dataDir, {
    ADMIN_PASSWORD: password,
    INGEST_FLUSH_MS: '10',
    INGEST_DEVICE_RATE_PER_S: '0',
    ...env,
  });
  const app = await startApp(config, createLogger('silent'));
  apps.push(app);
  return app;
}

/** One of the repository's scripts as a person runs it, with only the environment given. */
function script(file: string, args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    timeout: 120_000,
  });
}

async function login(app: RunningApp): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password }),
  });
  return response.status;
}

const fire = {
  id: 'ha-ma-fire-0801',
  kind: 'fire',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.328,
  pole: null,
  zone: null,
  name: 'Báo cháy – Chùa Cầu',
} as const;

describe('backups of the embedded PostgreSQL', () => {
  it('backs up while the IOC runs and restores into an empty DATA_DIR with everything in it', {
    timeout: 240_000,
  }, async () => {
    const original = await tempDir('ioc-backup-a-');
    const app = await startEmbedded(original);
    const { secret } = await app.registry.create(fire);
    const device = await connectDevice(`mqtt://127.0.0.1:${app.mqttPort}`, fire.id, secret);
    for (let i = 0; i < 20; i++)
      await publish(
        device,
        `ioc/hoi-an/fire/${fire.id}/telemetry`,
        JSON.stringify({ metrics: { alarm: i === 19 ? 1 : 0, temp_c: 30 + i } }),
      );
    device.end(true);
    await app.pool.query("UPDATE alert_rules SET enabled = false WHERE default_key = 'noise-normal-day'");
    const before = await eventually(
      () => countContents(app.databaseUrl),
      (c) => c.messages >= 20 && c.alerts >= 1,
      20_000,
    );
    expect(before).toMatchObject({ devices: 1, messages: 20 });

    // npm run backup, with the IOC running on the same DATA_DIR.
    const backup = await script('scripts/backup.ts', [], { DATA_DIR: original });
    expect(backup.stderr + backup.stdout).toMatch(/written .*\.tar\.gz \(/);
    const [file] = (await readdir(join(original, 'backups'))).map((name) => join(original, 'backups', name));
    expect(file).toMatch(/ioc-\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.tar\.gz$/);
    expect((await stat(file!)).mode & 0o777).toBe(0o600);
    await app.stop();

    // A DATA_DIR that holds a database is not overwritten.
    await expect(script('scripts/restore.ts', [file!], { DATA_DIR: original })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already holds a database: restore into an empty DATA_DIR/),
    });

    const restoredDir = await tempDir('ioc-backup-b-');
    const restore = await script('scripts/restore.ts', [file!], { DATA_DIR: restoredDir });
    expect(restore.stdout + restore.stderr).toMatch(/restored .* 1 thiết bị \/ devices/);

    const restored = await startEmbedded(restoredDir);
    expect(await countContents(restored.databaseUrl)).toEqual(before);
    expect(restored.registry.get(fire.id)?.name).toBe(fire.name);
    const { rows } = await restored.pool.query(
      "SELECT enabled FROM alert_rules WHERE default_key = 'noise-normal-day'",
    );
    expect(rows).toEqual([{ enabled: false }]);
    // The accounts came along: the admin logs in with the password it had.
    expect(await login(restored)).toBe(200);
    await restored.stop();
  });

  it('backs up on its own, keeps BACKUP_KEEP, and raises the self-alert when a backup fails until one succeeds', {
    timeout: 180_000,
  }, async () => {
    const dataDir = await tempDir('ioc-backup-c-');
    const backupDir = join(dataDir, 'nightly');
    const app = await startEmbedded(dataDir, { BACKUP_DIR: backupDir, BACKUP_KEEP: '2' });
    for (let i = 0; i < 3; i++) await app.backups.backupNow();
    const kept = await readdir(backupDir);
    expect(kept).toHaveLength(2);
    const metrics = await app.metrics.registry.getMetricsAsJSON();
    const last = metrics.find((m) => m.name === 'ioc_backup_last_success_timestamp_seconds');
    expect(last?.values[0]?.value).toBeGreaterThan(Date.now() / 1000 - 120);

    // The backup folder replaced by a file: the next backup fails.
    await rm(backupDir, { recursive: true });
    await writeFile(backupDir, 'not a folder');
    await expect(app.backups.backupNow()).rejects.toThrow();
    const open = await app.pool.query(
      "SELECT state, kind, message_vi, message_en FROM alerts WHERE device_id = 'ioc' AND state <> 'resolved'",
    );
    expect(open.rows).toEqual([
      {
        state: 'open',
        kind: 'system',
        message_vi: expect.stringMatching(/^Sao lưu cơ sở dữ liệu của IOC: sao lưu thất bại: /),
        message_en: expect.stringMatching(/^IOC database backup: the backup failed: /),
      },
    ]);
    const failures = (await app.metrics.registry.getMetricsAsJSON()).find(
      (m) => m.name === 'ioc_backup_failures_total',
    );
    expect(failures?.values[0]?.value).toBe(1);

    // A full disk: the archive's writes fail (ENOSPC). The backup fails, nothing hangs, no file stays.
    const full = join(dataDir, 'full');
    await mkdir(full);
    await symlink('/dev/full', join(full, 'ioc.tar.gz.partial'));
    await expect(backupCluster({ dataDir, out: join(full, 'ioc.tar.gz') })).rejects.toThrow(/ENOSPC|closed/);
    expect(await readdir(full)).toEqual([]);

    await rm(backupDir);
    await app.backups.backupNow();
    const after = await app.pool.query("SELECT state, resolved_by FROM alerts WHERE device_id = 'ioc'");
    expect(after.rows).toEqual([{ state: 'resolved', resolved_by: 'system' }]);
    await app.stop();
  });
});

describe('the backup schedule', () => {
  it('runs at the next local HH:MM (Vietnam, UTC+7)', () => {
    // 20:00 in Vietnam: 02:30 is tomorrow's, 21:15 today's.
    const now = new Date('2026-12-07T13:00:00Z');
    expect(nextRunAt('02:30', now).toISOString()).toBe('2026-12-07T19:30:00.000Z');
    expect(nextRunAt('21:15', now).toISOString()).toBe('2026-12-07T14:15:00.000Z');
    expect(nextRunAt('20:00', now).toISOString()).toBe('2026-12-08T13:00:00.000Z');
  });

  it('raises the self-alert when no good backup is younger than BACKUP_MAX_AGE_H', async () => {
    const dir = await tempDir('ioc-backup-age-');
    let now = new Date('2026-12-07T00:00:00Z');
    const raised: Problem[] = [];
    const scheduler = createBackupScheduler({
      config: {
        ...loadConfig({ DATA_DIR: dir, BACKUP_DIR: join(dir, 'none-yet') }),
        BACKUP_MAX_AGE_H: 36,
      },
      log: createLogger('silent'),
      metrics: createMetrics(),
      alert: { raise: async (problem) => void raised.push(problem), clear: async () => {} },
      clock: () => now,
    });
    await scheduler.start();
    try {
      expect(raised).toEqual([]);
      now = new Date('2026-12-08T13:00:00Z'); // 37 hours running, no backup
      await scheduler.checkAge();
      expect(raised).toEqual([
        {
          vi: 'chưa có bản sao lưu nào sau 37 giờ hoạt động',
          en: 'no backup yet after 37 hours of running',
          value: 37,
        },
      ]);
    } finally {
      scheduler.stop();
    }
  });
});
