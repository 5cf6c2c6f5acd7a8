// Local time in Asia/Ho_Chi_Minh: UTC+7 all year (no daylight saving), so a fixed offset is exact
// and much cheaper than Intl on the hot path.
const offsetMs = 7 * 3_600_000;

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  minuteOfDay: number;
  dayOfWeek: number;
}

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

/** The instant of local midnight starting the local day of `at`. */
export function localMidnight(at: Date): Date {
  const local = at.getTime() + offsetMs;
  return new Date(local - (((local % 86_400_000) + 86_400_000) % 86_400_000) - offsetMs);
}

/** Whether the local time of day is in [start, end) minutes; a window may wrap midnight (1260 → 360). */
export function isWithinLocalWindow(at: Date, startMinute: number, endMinute: number): boolean {
  const m = localParts(at).minuteOfDay;
  return startMinute <= endMinute ? m >= startMinute && m < endMinute : m >= startMinute || m < endMinute;
}
