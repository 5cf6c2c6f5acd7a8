// Storage failures: which are an outage to wait out and which are rows the database refuses, how long
// to wait between attempts, and how failures are logged. The batch writer and the journal replay both
// retry through retryWithBackoff, so an outage is met the same way on either path.
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';

// Only errors about the rows themselves (data exceptions, integrity violations) are worth giving up
// on; anything else (connection refused or cut, server shutting down, database not accepting
// connections, lack of resources, a missing table during a botched upgrade) is an outage, and the
// readings wait for it to end.
const rowErrorSqlState = /^(22|23)/;
export function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code !== 'string' || !rowErrorSqlState.test(code);
}

/** Attempts at rows the database refuses as such before giving up on them (an outage has no limit). */
export const refusedRowAttempts = 3;

const backoffMs = (failures: number) => Math.min(5_000, 100 * 2 ** Math.min(failures, 6));
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type RetryOutcome<T> =
  | { kind: 'done'; value: T }
  | { kind: 'gaveUp'; error: unknown }
  /** `wanted` said no before an attempt: the caller is stopping, or took another way. */
  | { kind: 'unwanted' };

/** Attempts until one succeeds, `retry` gives up, or `wanted` says no; waits longer after each failure. */
export async function retryWithBackoff<T>(options: {
  attempt: () => Promise<T>;
  /** Told of each failure (and how many so far): true waits the back-off and tries again. */
  retry: (error: unknown, failures: number) => boolean;
  /** Checked before each attempt. */
  wanted?: () => boolean;
}): Promise<RetryOutcome<T>> {
  let failures = 0;
  while (options.wanted?.() ?? true) {
    try {
      return { kind: 'done', value: await options.attempt() };
    } catch (error) {
      failures++;
      if (!options.retry(error, failures)) return { kind: 'gaveUp', error };
      await sleep(backoffMs(failures));
    }
  }
  return { kind: 'unwanted' };
}

export type FailureLog = (
  error: unknown,
  attempt: number,
  rows: number,
  transient: boolean,
  what: string,
) => void;

/** Counts every storage failure and logs at most one every 5 s: an outage fails every batch. */
export function createFailureLog(log: Logger, metrics: Metrics): FailureLog {
  let lastLog = 0;
  return (error, attempt, rows, transient, what) => {
    metrics.storageErrors.inc();
    const now = Date.now();
    if (now - lastLog > 5_000) {
      lastLog = now;
      log.error({ err: error, attempt, rows, transient }, what);
    }
  };
}
