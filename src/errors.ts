// Every error the system reports to a caller has a code, a status and a message that says what to do.
// Dead letters use the same codes, so an operator reads one vocabulary in the API and in the database.

export const errorStatus = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  DEVICE_NOT_FOUND: 404,
  DEVICE_EXISTS: 409,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  ACCOUNT_LOCKED: 429,
  INTERNAL: 500,
  NOT_READY: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  override name = 'AppError';
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.statusCode = errorStatus[code];
  }
}

/** Who must act on a dead letter: the device's owner, or the IOC's own operators (our fault). */
export type DeadLetterFault = 'device' | 'ioc';

/**
 * Every reason an MQTT message (or part of one) is kept in `dead_letters`, with who must act and what
 * they should do, in Vietnamese and English. The one list: validation, the API's filter, the metric's
 * label and the descriptions all come from here.
 */
export const deadLetterReasonInfo = {
  NOT_JSON: {
    fault: 'device',
    vi: 'Nội dung không phải JSON hợp lệ: sửa firmware để gửi JSON UTF-8 theo định dạng của loại thiết bị.',
    en: "The payload is not valid JSON: fix the firmware to send UTF-8 JSON in the device kind's format.",
  },
  PAYLOAD_TOO_LARGE: {
    fault: 'device',
    vi: 'Gói tin vượt giới hạn kích thước (MQTT_MAX_PAYLOAD_BYTES): gửi dữ liệu tồn đọng thành nhiều gói nhỏ hơn.',
    en: 'The payload is over the size limit (MQTT_MAX_PAYLOAD_BYTES): send a backlog in several smaller messages.',
  },
  VALIDATION_FAILED: {
    fault: 'device',
    vi: 'Nội dung không đúng lược đồ của loại thiết bị (thiếu trường, sai kiểu, thời điểm không hợp lệ): sửa theo thông báo kèm theo.',
    en: "The payload does not match the device kind's schema (a missing field, a wrong type, an invalid time): fix what the message says.",
  },
  OUT_OF_RANGE: {
    fault: 'device',
    vi: 'Giá trị nằm ngoài dải đo của cảm biến và đã bị bỏ: kiểm tra, hiệu chuẩn hoặc thay cảm biến.',
    en: "A value outside the sensor's measuring range was dropped: check, calibrate or replace the sensor.",
  },
  TS_IN_FUTURE: {
    fault: 'device',
    vi: 'Thời điểm đo đi trước đồng hồ máy chủ: kiểm tra đồng bộ NTP của thiết bị.',
    en: "The timestamp is ahead of the server clock: check the device's NTP synchronisation.",
  },
  TS_TOO_OLD: {
    fault: 'device',
    vi: 'Thời điểm đo quá cũ (quá INGEST_MAX_AGE_DAYS): kiểm tra đồng hồ của thiết bị.',
    en: "The timestamp is too old (beyond INGEST_MAX_AGE_DAYS): check the device's clock.",
  },
  UNKNOWN_DEVICE: {
    fault: 'device',
    vi: 'Thiết bị chưa được đăng ký: đăng ký thiết bị trước, hoặc sửa mã thiết bị trong chủ đề.',
    en: 'The device is not registered: register it first, or correct the device id in the topic.',
  },
  UNKNOWN_TOPIC: {
    fault: 'device',
    vi: 'Chủ đề không có dạng ioc/{thành phố}/{loại}/{mã thiết bị}/{telemetry|status|event}: sửa cấu hình MQTT của thiết bị.',
    en: "The topic is not ioc/{city}/{kind}/{deviceId}/{telemetry|status|event}: fix the device's MQTT settings.",
  },
  TOPIC_NOT_ALLOWED: {
    fault: 'device',
    vi: 'Thiết bị gửi vào chủ đề không phải của mình (mã, thành phố hay loại khác với đăng ký, hoặc kênh cmd): sửa chủ đề.',
    en: 'The device published on a topic that is not its own (an id, city or kind other than registered, or the cmd channel): fix the topic.',
  },
  UNKNOWN_METRIC: {
    fault: 'device',
    vi: 'Chỉ số không có trong danh mục của loại thiết bị: bỏ chỉ số đó hoặc dùng đúng tên trong danh mục.',
    en: "A metric is not in the device kind's catalog: leave it out, or use the catalog's name.",
  },
  RATE_LIMITED: {
    fault: 'device',
    vi: 'Thiết bị gửi nhanh hơn mức cho phép (INGEST_DEVICE_RATE_PER_S): giảm tần suất gửi.',
    en: 'The device sends faster than its allowed rate (INGEST_DEVICE_RATE_PER_S): send less often.',
  },
  STORAGE_FAILED: {
    fault: 'ioc',
    vi: 'Lỗi của IOC, không phải của thiết bị: cơ sở dữ liệu hoặc nhật ký cục bộ không lưu được tin này. Người vận hành xem nhật ký hệ thống; nội dung gói tin được giữ tại đây.',
    en: "The IOC's fault, not the device's: the database or the local journal could not store this message. Operators: see the system log; the payload is kept here.",
  },
  INTERNAL_ERROR: {
    fault: 'ioc',
    vi: 'Lỗi của IOC, không phải của thiết bị: xử lý tin này gặp lỗi bên trong hệ thống. Người vận hành xem nhật ký hệ thống (area ingest); nội dung gói tin được giữ tại đây.',
    en: "The IOC's fault, not the device's: processing this message failed inside the system. Operators: see the system log (area ingest); the payload is kept here.",
  },
} as const satisfies Record<string, { fault: DeadLetterFault; vi: string; en: string }>;

type ReasonInfo = typeof deadLetterReasonInfo;
export type DeadLetterReason = keyof ReasonInfo;
/** The reasons a device's own message earns: what parsing and the topic checks may say. */
export type DeviceFaultReason = {
  [R in DeadLetterReason]: ReasonInfo[R]['fault'] extends 'device' ? R : never;
}[DeadLetterReason];

export const deadLetterReasons = Object.keys(deadLetterReasonInfo) as [
  DeadLetterReason,
  ...DeadLetterReason[],
];

export function isDeadLetterReason(reason: string): reason is DeadLetterReason {
  return Object.hasOwn(deadLetterReasonInfo, reason);
}
