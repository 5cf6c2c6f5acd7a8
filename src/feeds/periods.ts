// Reporting periods in local time (Asia/Ho_Chi_Minh, UTC+7 all year): the hour, day, month, quarter
// and year a province report is about, their labels, and the bounds of a requested range.
import { localDateStart, localParts } from '../standards/index.ts';

export const periods = ['hour', 'day', 'month', 'quarter', 'year'] as const;
export type Period = (typeof periods)[number];

const offsetMs = 7 * 3_600_000;
const pad = (n: number) => String(n).padStart(2, '0');

/** The instant of a local wall-clock time; months and days past their end roll over (month 13 = January). */
const localInstant = (year: number, month: number, day = 1, hour = 0) =>
  new Date(Date.UTC(year, month - 1, day, hour) - offsetMs);

/** The local calendar date of `at`, as YYYY-MM-DD. */
export function localDate(at: Date): string {
  const p = localParts(at);
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** The label of the period that contains `at`: 2026-11-29T14 (hour), 2026-11-29, 2026-11, 2026-Q4, 2026. */
export function periodLabel(period: Period, at: Date): string {
  const p = localParts(at);
  switch (period) {
    case 'hour':
      return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:00+07:00`;
    case 'day':
      return localDate(at);
    case 'month':
      return `${p.year}-${pad(p.month)}`;
    case 'quarter':
      return `${p.year}-Q${Math.ceil(p.month / 3)}`;
    case 'year':
      return String(p.year);
  }
}

/** The first instant of the period that contains `at`. */
export function periodStart(period: Period, at: Date): Date {
  const p = localParts(at);
  switch (period) {
    case 'hour':
      return localInstant(p.year, p.month, p.day, p.hour);
    case 'day':
      return localInstant(p.year, p.month, p.day);
    case 'month':
      return localInstant(p.year, p.month);
    case 'quarter':
      return localInstant(p.year, Math.floor((p.month - 1) / 3) * 3 + 1);
    case 'year':
      return localInstant(p.year, 1);
  }
}

/** The first instant of the period after the one that contains `at`. */
export function periodEnd(period: Period, at: Date): Date {
  const start = periodStart(period, at);
  const p = localParts(start);
  switch (period) {
    case 'hour':
      return new Date(start.getTime() + 3_600_000);
    case 'day':
      return localInstant(p.year, p.month, p.day + 1);
    case 'month':
      return localInstant(p.year, p.month + 1);
    case 'quarter':
      return localInstant(p.year, p.month + 3);
    case 'year':
      return localInstant(p.year + 1, 1);
  }
}

/**
 * A range bound from a query string: a local date (YYYY-MM-DD, its midnight in Vietnam), a month
 * (YYYY-MM) or an ISO 8601 instant with an offset. Undefined when it is none of these.
 */
export function parseBound(text: string): Date | undefined {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const d = localDateStart(text);
    return localDate(d) === text ? d : undefined; // 2026-02-30 is not a date
  }
  if (/^\d{4}-\d{2}$/.test(text)) return parseBound(`${text}-01`);
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? undefined : new Date(ms);
  }
  return undefined;
}
