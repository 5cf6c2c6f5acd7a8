// Local time in Asia/Ho_Chi_Minh, where every day/night window and reporting day of the IOC is defined.
// Vietnam keeps UTC+7 all year (no daylight saving), so a fixed offset is exact and far cheaper than
// Intl on the hot path. Time is always passed in; nothing here reads the clock.
const offsetMs = 7 * 3_600_000;
const dayMs = 86_400_000;

export interface LocalParts {
  year: number;
  /** 1–12 */
  month: number;
  /** 1–31 */
  day: number;
  /** 0–23 */
  hour: number;
  /** 0–59 */
  minute: number;
  /** hour·60 + minute, 0–1439 */
  minuteOfDay: number;
  /** 0 = Sunday … 6 = Saturday */
  dayOfWeek: number;
}

/** Calendar fields of `at` on the Asia/Ho_Chi_Minh wall clock. */
export function localParts(at: Date): LocalParts {
  const local = new Date(at.getTime() + offsetMs);
  const hour = local.getUTCHours();
  const minute = local.getUTCMinutes();
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour,
    minute,
    minuteOfDay: hour * 60 + minute,
    dayOfWeek: local.getUTCDay(),
  };
}

/** The instant of local 00:00 that starts the local day of `at` (17:00 UTC of the previous UTC day). */
export function localMidnight(at: Date): Date {
  const local = at.getTime() + offsetMs;
  const sinceMidnight = ((local % dayMs) + dayMs) % dayMs; // also right before 1970
  return new Date(local - sinceMidnight - offsetMs);
}

/** The instant a local calendar date (YYYY-MM-DD) begins: its 00:00 in Vietnam. */
export function localDateStart(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - offsetMs);
}

/**
 * Whether the local time of day of `at` is in [startMinute, endMinute): start inclusive, end exclusive.
 * A window with start > end wraps midnight (21:00 → 06:00 is 1260 → 360); start = end is empty.
 */
export function isWithinLocalWindow(at: Date, startMinute: number, endMinute: number): boolean {
  // Arithmetic, not localParts: this runs for every reading of every windowed rule.
  const m = Math.floor(((((at.getTime() + offsetMs) % dayMs) + dayMs) % dayMs) / 60_000);
  return startMinute <= endMinute ? m >= startMinute && m < endMinute : m >= startMinute || m < endMinute;
}
