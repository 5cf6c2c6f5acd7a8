import { describe, expect, it } from 'vitest';
import { maskRecipient } from '../../src/notifications/mask.ts';
import { inShift, isQuiet, onCall, quietEnds } from '../../src/notifications/schedule.ts';
import { fillTemplate } from '../../src/notifications/senders/sms.ts';

/** A local wall-clock time in Vietnam (UTC+7) as an instant. */
const local = (text: string) => new Date(`${text}+07:00`);

describe('on-call schedules (Asia/Ho_Chi_Minh)', () => {
  const day = { days: [1, 2, 3, 4, 5], start: '07:00', end: '19:00', contactIds: [1] };
  const night = { days: [1, 2, 3, 4, 5], start: '19:00', end: '07:00', contactIds: [2] };
  const weekend = { days: [6, 7], start: '00:00', end: '00:00', contactIds: [3] };

  // 2026-03-16 is a Monday.
  it.each([
    ['2026-03-16T06:59', []], // Monday before the day shift: Sunday had no night shift
    ['2026-03-16T07:00', [1]],
    ['2026-03-16T18:59', [1]],
    ['2026-03-16T19:00', [2]],
    ['2026-03-17T03:00', [2]], // Monday's night shift, past midnight
    ['2026-03-20T23:00', [2]], // Friday night: the weekend starts at Saturday 00:00
    ['2026-03-21T03:00', [2, 3]], // Friday's night shift runs into Saturday's whole-day shift
    ['2026-03-21T12:00', [3]],
    ['2026-03-23T06:00', []], // Monday: Sunday's whole day ended at midnight
  ])('at %s the on-call contacts are %j', (at, expected) => {
    expect(onCall([day, night, weekend], local(at))).toEqual(expected);
  });

  it('reads a shift past midnight as belonging to the day it starts on', () => {
    expect(inShift(night, local('2026-03-21T06:59'))).toBe(true); // Friday's night, on Saturday morning
    expect(inShift(night, local('2026-03-22T03:00'))).toBe(false); // Saturday had no night shift
  });
});

describe('quiet hours', () => {
  const quiet = { start: '22:00', end: '06:00', action: 'hold' as const };
  it.each([
    ['2026-03-16T21:59', false],
    ['2026-03-16T22:00', true],
    ['2026-03-17T05:59', true],
    ['2026-03-17T06:00', false],
  ])('%s quiet: %s', (at, expected) => {
    expect(isQuiet(quiet, local(at))).toBe(expected);
  });

  it('end at the next local 06:00, the same night or the next morning', () => {
    expect(quietEnds(quiet, local('2026-03-16T23:30')).toISOString()).toBe(
      local('2026-03-17T06:00').toISOString(),
    );
    expect(quietEnds(quiet, local('2026-03-17T02:00')).toISOString()).toBe(
      local('2026-03-17T06:00').toISOString(),
    );
  });
});

describe('recipients in the delivery log', () => {
  it.each([
    ['email', 'nguyen.van.an@tayninh.gov.vn', 'ng***@tayninh.gov.vn'],
    ['sms', '0912345678', '091***678'],
    ['zalo', '2468458835296117922', '2468***7922'],
    ['webhook', 'https://hooks.example.vn/ioc?token=abc', 'https://hooks.example.vn/…'],
  ] as const)('%s %s is shown as %s', (type, address, shown) => {
    expect(maskRecipient(type, address)).toBe(shown);
  });
});

describe('a generic SMS gateway template', () => {
  it('fills placeholders inside JSON values, so a quote in the text cannot change the body', () => {
    const body = fillTemplate(
      { to: ['{{phone}}'], content: '{{text}}', meta: { id: '{{requestId}}', keep: 2 } },
      { phone: '84912345678', text: 'Báo cháy "khẩn"', requestId: 'r1' },
    );
    expect(body).toEqual({ to: ['84912345678'], content: 'Báo cháy "khẩn"', meta: { id: 'r1', keep: 2 } });
  });
});
