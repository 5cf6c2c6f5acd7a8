// What a person reads: one message per event, Vietnamese first with English after it, built from the
// alert's one wire shape (src/alerts/wire.ts). A subject and a long text for email, a short line for
// SMS and Zalo, and the wire shape itself for webhooks.
import type { AlertWire } from '../alerts/wire.ts';
import { localParts } from '../standards/time.ts';
import type { DeliveryEvent } from '../storage/notifications.ts';

export interface Message {
  subject: string;
  text: string;
  /** One SMS or chat line: the first words a phone shows. */
  short: string;
  /** What a webhook receives. */
  payload: { event: string; alert: AlertWire | null; step: number | null };
}

const severityNames = {
  info: { vi: 'Thông tin', en: 'Info' },
  warning: { vi: 'Cảnh báo', en: 'Warning' },
  critical: { vi: 'Khẩn cấp', en: 'Critical' },
} as const;

const headings: Record<Exclude<DeliveryEvent, 'test'>, { vi: string; en: string }> = {
  opened: { vi: 'Cảnh báo mới', en: 'New alert' },
  escalated: { vi: 'Cảnh báo chưa được xác nhận', en: 'Alert still unacknowledged' },
  acknowledged: { vi: 'Đã xác nhận', en: 'Acknowledged' },
  resolved: { vi: 'Đã xử lý xong', en: 'Resolved' },
};

/** Local wall-clock time, as a control room in Vietnam reads it: 21:05 17/03/2026 (UTC+7). */
export function localTime(iso: string): string {
  const p = localParts(new Date(iso));
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(p.hour)}:${two(p.minute)} ${two(p.day)}/${two(p.month)}/${p.year}`;
}

export function alertMessage(
  event: Exclude<DeliveryEvent, 'test'>,
  alert: AlertWire,
  step: number | null,
): Message {
  const heading = headings[event];
  const severity = severityNames[alert.severity];
  const place = `${alert.deviceId} · ${alert.ward}, ${alert.city}`;
  const who =
    event === 'acknowledged' ? alert.acknowledgedBy : event === 'resolved' ? alert.resolvedBy : null;
  const lines = [
    `${heading.vi} [${severity.vi}]: ${alert.message.vi}`,
    `${heading.en} [${severity.en}]: ${alert.message.en}`,
    '',
    `Thiết bị / Device: ${place}`,
    `Mở lúc / Opened at: ${localTime(alert.openedAt)} (UTC+7)`,
    ...(alert.value === null ? [] : [`Giá trị / Value: ${alert.value}`]),
    ...(who ? [`Người xử lý / By: ${who}`] : []),
    `Mã cảnh báo / Alert id: ${alert.id}`,
  ];
  return {
    subject: `[IOC] ${heading.vi} / ${heading.en} [${severity.vi} / ${severity.en}]: ${alert.message.vi}`,
    text: lines.join('\n'),
    short: `[IOC] ${heading.vi} (${severity.vi}): ${alert.message.vi} – ${place} – #${alert.id} / ${heading.en}: ${alert.message.en}`,
    payload: { event: `notification.${event}`, alert, step },
  };
}

export function testMessage(channelName: string): Message {
  const vi = `Tin thử từ IOC qua kênh "${channelName}". Nếu bạn nhận được tin này, kênh hoạt động.`;
  const en = `Test message from the IOC through channel "${channelName}". If you read this, the channel works.`;
  return {
    subject: '[IOC] Tin thử / Test message',
    text: `${vi}\n${en}`,
    short: `[IOC] ${vi} / ${en}`,
    payload: { event: 'notification.test', alert: null, step: null },
  };
}

/** Vietnamese without diacritics, for SMS sent as plain GSM text (more characters per message). */
export function withoutDiacritics(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');
}
