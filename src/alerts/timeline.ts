// An alert's timeline: its stored history (opened, acknowledged, assigned, notes, resolved) and the
// notifications sent about it (the notifications area's delivery log, read as it is), in time order,
// each entry saying who, when and what in Vietnamese and English.
import { z } from 'zod';
import type { AlertHistoryEntry } from '../storage/alerts.ts';
import type { DeliveryRow } from '../storage/notifications.ts';

export const timelineActions = [
  'opened',
  'acknowledged',
  'resolved',
  'assigned',
  'unassigned',
  'noted',
  'notification',
] as const;

const Text = z.object({ vi: z.string(), en: z.string() });

export const TimelineEntryWire = z.object({
  at: z.string(),
  action: z.enum(timelineActions),
  actor: z.string().describe("a username, or 'system'"),
  text: Text.describe('what happened, to show as it is'),
  note: z.string().nullable().describe("the note's text, or the note given with an action"),
  assignee: z
    .string()
    .nullable()
    .describe('whom `assigned` gave the alert to, whom `unassigned` took it from'),
  notification: z
    .object({
      event: z.string().describe('opened, escalated, acknowledged or resolved'),
      step: z.number().nullable().describe("the escalation policy's step"),
      channel: z.string(),
      recipient: z.string().describe('masked'),
      status: z.string(),
      attempts: z.number(),
      error: z.string().nullable(),
    })
    .nullable()
    .describe('with `notification` only'),
});
export type TimelineEntryWire = z.infer<typeof TimelineEntryWire>;

type Words = { vi: string; en: string };

function historyText(h: AlertHistoryEntry): Words {
  const who = h.actor;
  switch (h.action) {
    case 'opened':
      return { vi: 'Cảnh báo được mở', en: 'Alert opened' };
    case 'acknowledged':
      return { vi: `${who} đã xác nhận`, en: `${who} acknowledged it` };
    case 'resolved':
      return who === 'system'
        ? { vi: 'Tự đóng: điều kiện đã hết', en: 'Closed by itself: the condition cleared' }
        : { vi: `${who} đã đóng cảnh báo`, en: `${who} resolved it` };
    case 'assigned':
      return h.assignee === who
        ? { vi: `${who} nhận xử lý`, en: `${who} took it` }
        : { vi: `${who} giao cho ${h.assignee}`, en: `${who} assigned it to ${h.assignee}` };
    case 'unassigned':
      return { vi: `${who} thôi giao cho ${h.assignee}`, en: `${who} took it from ${h.assignee}` };
    case 'noted':
      return { vi: `${who} ghi chú`, en: `${who} added a note` };
  }
}

const eventNames: Record<string, Words> = {
  opened: { vi: 'mở', en: 'opened' },
  escalated: { vi: 'leo thang', en: 'escalation' },
  acknowledged: { vi: 'đã xác nhận', en: 'acknowledged' },
  resolved: { vi: 'đã đóng', en: 'resolved' },
};

function deliveryText(d: DeliveryRow): Words {
  const event = eventNames[d.event] ?? { vi: d.event, en: d.event };
  const step = d.step === null ? '' : ` ${d.step + 1}`;
  const what = { vi: `Thông báo (${event.vi}${step})`, en: `Notification (${event.en}${step})` };
  const to = `${d.channelType} → ${d.recipient}`;
  switch (d.status) {
    case 'sent':
      return { vi: `${what.vi} đã gửi qua ${to}`, en: `${what.en} sent by ${to}` };
    case 'failed':
      return { vi: `${what.vi} gửi thất bại qua ${to}`, en: `${what.en} failed by ${to}` };
    case 'skipped':
      return { vi: `${what.vi} bỏ qua (giờ yên tĩnh): ${to}`, en: `${what.en} skipped (quiet hours): ${to}` };
    case 'cancelled':
      return { vi: `${what.vi} đã huỷ: ${to}`, en: `${what.en} cancelled: ${to}` };
    default:
      return { vi: `${what.vi} đang chờ gửi qua ${to}`, en: `${what.en} waiting to go by ${to}` };
  }
}

/** When a delivery belongs in the timeline: when it went out, else when it last changed. */
const deliveryAt = (d: DeliveryRow) => (d.status === 'sent' && d.sentAt ? d.sentAt : d.updatedAt);

/** History and deliveries in time order; on the same instant the history entry comes first. */
export function buildTimeline(history: AlertHistoryEntry[], deliveries: DeliveryRow[]): TimelineEntryWire[] {
  const entries = [
    ...history.map((h, i) => ({
      at: h.at,
      order: [0, i],
      wire: {
        at: h.at.toISOString(),
        action: h.action,
        actor: h.actor,
        text: historyText(h),
        note: h.note,
        assignee: h.assignee,
        notification: null,
      } satisfies TimelineEntryWire,
    })),
    ...deliveries.map((d) => ({
      at: deliveryAt(d),
      order: [1, d.id],
      wire: {
        at: deliveryAt(d).toISOString(),
        action: 'notification' as const,
        actor: 'system',
        text: deliveryText(d),
        note: null,
        assignee: null,
        notification: {
          event: d.event,
          step: d.step,
          channel: d.channelType,
          recipient: d.recipient,
          status: d.status,
          attempts: d.attempts,
          error: d.lastError,
        },
      } satisfies TimelineEntryWire,
    })),
  ];
  entries.sort(
    (a, b) => a.at.getTime() - b.at.getTime() || a.order[0]! - b.order[0]! || a.order[1]! - b.order[1]!,
  );
  return entries.map((e) => e.wire);
}
