// Who is on call, and whether quiet hours hold a message, at a given instant. Pure functions of the
// time they are given: weekly shifts and quiet hours are wall-clock times in Asia/Ho_Chi_Minh (UTC+7
// all year, no daylight saving), so the same instant always gives the same answer.
import { isWithinLocalWindow, localMidnight, localParts } from '../standards/time.ts';

const dayMs = 86_400_000;

/** `HH:MM` → minutes after local midnight (24:00 is the end of the day). */
export function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

export interface Shift {
  /** ISO weekdays the shift starts on: 1 = Monday … 7 = Sunday. */
  days: number[];
  start: string;
  /** Not after `start`: the shift runs past midnight into the next day (equal: a whole day). */
  end: string;
  contactIds: number[];
}

const isoWeekday = (at: Date) => localParts(at).dayOfWeek || 7;

/** Whether `at` falls in the shift (a shift past midnight belongs to the day it starts on). */
export function inShift(shift: Shift, at: Date): boolean {
  const start = minuteOfDay(shift.start);
  const end = minuteOfDay(shift.end);
  const minute = localParts(at).minuteOfDay;
  const today = isoWeekday(at);
  if (start < end) return shift.days.includes(today) && minute >= start && minute < end;
  const yesterday = isoWeekday(new Date(at.getTime() - dayMs));
  return (shift.days.includes(today) && minute >= start) || (shift.days.includes(yesterday) && minute < end);
}

/** The contacts on call at `at`, in the order the shifts name them, each once. */
export function onCall(shifts: readonly Shift[], at: Date): number[] {
  return [...new Set(shifts.filter((s) => inShift(s, at)).flatMap((s) => s.contactIds))];
}

export interface QuietHours {
  start: string;
  end: string;
  /** hold: delivered when quiet hours end; skip: not delivered at all. */
  action: 'hold' | 'skip';
}

/** Whether `at` is in the quiet hours (start inclusive, end exclusive; past midnight when end < start). */
export function isQuiet(quiet: QuietHours, at: Date): boolean {
  return isWithinLocalWindow(at, minuteOfDay(quiet.start), minuteOfDay(quiet.end));
}

/** The first instant at or after `at` when the quiet hours are over. */
export function quietEnds(quiet: QuietHours, at: Date): Date {
  const end = localMidnight(at).getTime() + minuteOfDay(quiet.end) * 60_000;
  return new Date(end > at.getTime() ? end : end + dayMs);
}
