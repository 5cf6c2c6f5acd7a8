// The system as an admin's health page sees it: readiness (the checks /readyz makes), the ingest journal
// and queue, broker connections, the database's size and the free space of the disks the IOC writes,
// how far the alert engine's writes trail, the last backup and notification deliveries that failed in
// the last hour. Every number is a metric in the app's prom-client registry, read through it, so this
// page and /metrics never disagree; the gauges this area adds are collected when read, not on a timer.
import { statfs } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Gauge } from 'prom-client';
import type { BackupRun } from '../backup/scheduler.ts';
import type { Broker } from '../broker/index.ts';
import type { Metrics } from '../metrics/index.ts';
import type { Pool } from '../storage/pool.ts';
import { createSystemHealthQueries } from '../storage/systemHealth.ts';
import { createReadiness, metricValue, type Readiness } from './readiness.ts';

/** The longest a health read waits for the alert engine's writes to land; beyond it, this is the lag. */
const lagCapMs = 5_000;
const hourS = 3_600;

export interface SystemHealthDeps {
  pool: Pool;
  metrics: Metrics;
  broker: Pick<Broker, 'ready'>;
  /** The alert engine of this instance (it evaluates only while it leads, with several instances). */
  alerts: { isEvaluating(): boolean; readonly engine: { settled(): Promise<void> } };
  backups: { status(): { running: BackupRun | null; last: BackupRun | null } };
  dataDir: string;
  /** The IOC runs PostgreSQL itself (no DATABASE_URL): its data directory is a disk of ours to watch. */
  embeddedDatabase: boolean;
  journalMaxBytes: number;
}

export interface Disk {
  volume: 'data' | 'database';
  path: string;
  freeBytes: number;
  totalBytes: number;
}

async function diskOf(path: string): Promise<{ free: number; total: number } | undefined> {
  try {
    const s = await statfs(path);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}

export function createSystemHealth(deps: SystemHealthDeps) {
  const { metrics } = deps;
  const queries = createSystemHealthQueries(deps.pool);
  const readiness = createReadiness(deps);
  const registers = [metrics.registry];
  let databaseDir: string | undefined;

  async function volumes(): Promise<Array<{ volume: Disk['volume']; path: string }>> {
    const found: Array<{ volume: Disk['volume']; path: string }> = [
      { volume: 'data', path: resolve(deps.dataDir) },
    ];
    if (deps.embeddedDatabase) {
      databaseDir ??= await queries.dataDirectory().catch(() => undefined);
      if (databaseDir) found.push({ volume: 'database', path: databaseDir });
    }
    return found;
  }

  async function engineLagSeconds(): Promise<number> {
    if (!deps.alerts.isEvaluating()) return 0;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      deps.alerts.engine.settled(),
      new Promise<void>((ok) => {
        timer = setTimeout(ok, lagCapMs);
        timer.unref();
      }),
    ]).finally(() => clearTimeout(timer));
    return (performance.now() - started) / 1000;
  }

  // A failed read keeps the gauge's last value: one slow statement must not break the whole scrape.
  const databaseBytes = new Gauge({
    name: 'ioc_database_size_bytes',
    help: "Size of the IOC's PostgreSQL database (pg_database_size)",
    registers,
    async collect() {
      this.set(await queries.databaseBytes().catch(() => Number.NaN));
    },
  });
  const diskFree = new Gauge({
    name: 'ioc_disk_free_bytes',
    help: 'Free bytes (for an unprivileged user) on the disk of DATA_DIR (volume=data) and of the embedded database (volume=database)',
    labelNames: ['volume', 'path'] as const,
    registers,
    async collect() {
      for (const { volume, path } of await volumes()) {
        const disk = await diskOf(path);
        if (disk) this.set({ volume, path }, disk.free);
      }
    },
  });
  const diskTotal = new Gauge({
    name: 'ioc_disk_size_bytes',
    help: 'Size of the disk of DATA_DIR (volume=data) and of the embedded database (volume=database)',
    labelNames: ['volume', 'path'] as const,
    registers,
    async collect() {
      for (const { volume, path } of await volumes()) {
        const disk = await diskOf(path);
        if (disk) this.set({ volume, path }, disk.total);
      }
    },
  });
  const evaluationLag = new Gauge({
    name: 'ioc_alert_evaluation_lag_seconds',
    help: `How long the alert transitions decided so far take to be stored (the engine's write queue; at most ${lagCapMs / 1000} s is waited; 0 where this instance does not evaluate)`,
    registers,
    async collect() {
      this.set(await engineLagSeconds());
    },
  });
  const failedDeliveries = new Gauge({
    name: 'ioc_notification_failures_last_hour',
    help: 'Notification deliveries (email, SMS, Zalo, webhook) that failed for good in the last hour',
    registers,
    async collect() {
      this.set(await queries.failedDeliveries(hourS).catch(() => Number.NaN));
    },
  });

  const labelled = async (gauge: Gauge<'volume' | 'path'>) =>
    new Map((await gauge.get()).values.map((v) => [`${v.labels.volume}|${v.labels.path}`, v.value]));
  const eventLoopLag = () => {
    const lag = metrics.registry.getSingleMetric('ioc_process_nodejs_eventloop_lag_seconds');
    return lag ? metricValue(lag as unknown as Gauge) : Promise.resolve(0);
  };
  const nullable = (n: number) => (Number.isFinite(n) ? n : null);
  const run = (r: BackupRun | null) =>
    r && {
      trigger: r.trigger,
      startedAt: r.startedAt.toISOString(),
      finishedAt: r.finishedAt?.toISOString() ?? null,
      ok: r.ok,
      file: r.file && basename(r.file),
      bytes: r.bytes,
      error: r.error,
    };

  return {
    async report() {
      const ready: Readiness = await readiness();
      const [free, total] = await Promise.all([labelled(diskFree), labelled(diskTotal)]);
      const disks = (await volumes()).flatMap(({ volume, path }) => {
        const key = `${volume}|${path}`;
        const f = free.get(key);
        const t = total.get(key);
        return f === undefined || t === undefined ? [] : [{ volume, path, freeBytes: f, totalBytes: t }];
      });
      const lastSuccess = await metricValue(metrics.backupLastSuccess);
      const backups = deps.backups.status();
      return {
        status: ready.status,
        checkedAt: new Date().toISOString(),
        readiness: ready,
        journal: {
          mode: ready.checks.journal.state,
          bytes: ready.checks.journal.bytes,
          maxBytes: deps.journalMaxBytes,
        },
        ingest: {
          queueRows: await metricValue(metrics.queueRows),
          degraded: (await metricValue(metrics.ingestDegraded)) === 1,
        },
        broker: { ready: ready.checks.broker === 'ok', connections: await metricValue(metrics.mqttClients) },
        database: {
          embedded: deps.embeddedDatabase,
          sizeBytes: nullable(await metricValue(databaseBytes)),
        },
        disks,
        rules: {
          evaluating: deps.alerts.isEvaluating(),
          lagSeconds: await metricValue(evaluationLag),
          eventLoopLagSeconds: await eventLoopLag(),
        },
        backups: {
          lastSuccessAt: lastSuccess > 0 ? new Date(lastSuccess * 1000).toISOString() : null,
          lastSizeBytes: (await metricValue(metrics.backupLastBytes)) || null,
          failures: await metricValue(metrics.backupFailures),
          last: run(backups.last),
          running: run(backups.running),
        },
        notifications: { failedLastHour: nullable(await metricValue(failedDeliveries)) },
      };
    },
  };
}

export type SystemHealth = ReturnType<typeof createSystemHealth>;
export type SystemReport = Awaited<ReturnType<SystemHealth['report']>>;
