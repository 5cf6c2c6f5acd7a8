// Nightly backups inside the running IOC (BACKUP_SCHEDULE, local time), the newest BACKUP_KEEP kept.
// A failed backup raises the backup self-alert at once; so does a last good backup older than
// BACKUP_MAX_AGE_H (or, on a new install, an IOC that has run that long without one). A good backup
// resolves it.
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import { localMidnight } from '../standards/time.ts';
import { type BackupConfig, type BackupResult, listBackups, pruneBackups, runBackup } from './index.ts';
import type { Problem } from './selfAlert.ts';

export type SchedulerConfig = BackupConfig & Pick<Config, 'BACKUP_SCHEDULE' | 'BACKUP_MAX_AGE_H'>;

/** One backup as the admins' pages show it: running (ok null), written, or failed with the reason. */
export interface BackupRun {
  trigger: 'schedule' | 'api' | 'found';
  startedAt: Date;
  finishedAt: Date | null;
  ok: boolean | null;
  file: string | null;
  bytes: number | null;
  error: string | null;
}

const checkEveryMs = 10 * 60_000;

/** The next instant after `now` at local HH:MM. */
export function nextRunAt(schedule: string, now: Date): Date {
  const [h, m] = schedule.split(':').map(Number) as [number, number];
  const at = new Date(localMidnight(now).getTime() + (h * 60 + m) * 60_000);
  return at > now ? at : new Date(at.getTime() + 86_400_000);
}

export function createBackupScheduler(deps: {
  config: SchedulerConfig;
  log: Logger;
  metrics: Metrics;
  alert: { raise(problem: Problem): Promise<void>; clear(note: string): Promise<void> };
  clock?: () => Date;
}) {
  const { config, log, metrics, alert } = deps;
  const clock = deps.clock ?? (() => new Date());
  const since = clock();
  let lastGood: Date | undefined;
  let running: Promise<BackupResult> | undefined;
  let current: BackupRun | undefined;
  let last: BackupRun | undefined;
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];

  const report = (problem: Problem) =>
    alert.raise(problem).catch((error) => log.error({ err: error }, 'could not raise the backup alert'));

  async function checkAge(): Promise<void> {
    if (config.BACKUP_SCHEDULE === 'off' || stopped) return;
    const now = clock();
    const reference = lastGood ?? since;
    const hours = (now.getTime() - reference.getTime()) / 3_600_000;
    if (hours <= config.BACKUP_MAX_AGE_H) return;
    const h = Math.floor(hours);
    await report(
      lastGood
        ? {
            vi: `bản sao lưu tốt gần nhất đã ${h} giờ (quá ${config.BACKUP_MAX_AGE_H} giờ)`,
            en: `the last good backup is ${h} hours old (over ${config.BACKUP_MAX_AGE_H} hours)`,
            value: h,
          }
        : {
            vi: `chưa có bản sao lưu nào sau ${h} giờ hoạt động`,
            en: `no backup yet after ${h} hours of running`,
            value: h,
          },
    );
  }

  /** Starts a backup, or joins the one running: one at a time, whoever asks. */
  async function backupNow(trigger: BackupRun['trigger'] = 'schedule'): Promise<BackupResult> {
    running ??= (async () => {
      log.info({ trigger }, 'backup started');
      const run: BackupRun = {
        trigger,
        startedAt: clock(),
        finishedAt: null,
        ok: null,
        file: null,
        bytes: null,
        error: null,
      };
      current = run;
      try {
        const result = await runBackup(config);
        lastGood = clock();
        Object.assign(run, { finishedAt: lastGood, ok: true, file: result.file, bytes: result.bytes });
        metrics.backupLastSuccess.set(lastGood.getTime() / 1000);
        metrics.backupLastBytes.set(result.bytes);
        metrics.backupLastSeconds.set(result.ms / 1000);
        const pruned = await pruneBackups(config);
        log.info(
          { file: result.file, bytes: result.bytes, ms: result.ms, pruned: pruned.length },
          'backup written',
        );
        await alert
          .clear(`backup written: ${result.file}`)
          .catch((error) => log.error({ err: error }, 'could not resolve the backup alert'));
        return result;
      } catch (error) {
        Object.assign(run, { finishedAt: clock(), ok: false, error: (error as Error).message });
        if (!stopped) {
          metrics.backupFailures.inc();
          log.error({ err: error }, 'backup failed');
          const reason = (error as Error).message;
          await report({
            vi: `sao lưu thất bại: ${reason}`,
            en: `the backup failed: ${reason}`,
            details: { error: reason },
          });
        }
        throw error;
      } finally {
        running = undefined;
        current = undefined;
        last = run;
      }
    })();
    return running;
  }

  function scheduleNext(): void {
    if (stopped || config.BACKUP_SCHEDULE === 'off') return;
    const at = nextRunAt(config.BACKUP_SCHEDULE, clock());
    const timer = setTimeout(
      () => {
        timers.splice(timers.indexOf(timer), 1);
        backupNow()
          .catch(() => {}) // logged and alerted in backupNow
          .finally(scheduleNext);
      },
      Math.max(0, at.getTime() - clock().getTime()),
    );
    timer.unref();
    timers.push(timer);
    log.debug({ at: at.toISOString() }, 'next backup');
  }

  return {
    async start(): Promise<void> {
      const newest = (await listBackups(config))[0];
      if (newest) {
        lastGood = newest.at;
        last = {
          trigger: 'found',
          startedAt: newest.at,
          finishedAt: newest.at,
          ok: true,
          file: newest.file,
          bytes: newest.bytes,
          error: null,
        };
        metrics.backupLastSuccess.set(newest.at.getTime() / 1000);
        metrics.backupLastBytes.set(newest.bytes);
      }
      scheduleNext();
      const check = setInterval(() => void checkAge(), checkEveryMs);
      check.unref();
      timers.push(check);
      await checkAge();
    },
    backupNow,
    /** The backup running now, and the last one that ended (or the newest file found at start). */
    status: () => ({ running: current ?? null, last: last ?? null }),
    checkAge,
    stop(): void {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.length = 0;
    },
  };
}

export type BackupScheduler = ReturnType<typeof createBackupScheduler>;
