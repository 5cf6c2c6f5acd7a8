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

/** Reasons an MQTT message is refused and kept in `dead_letters`. */
export const deadLetterReasons = [
  'NOT_JSON',
  'PAYLOAD_TOO_LARGE',
  'VALIDATION_FAILED',
  'OUT_OF_RANGE',
  'TS_IN_FUTURE',
  'TS_TOO_OLD',
  'UNKNOWN_DEVICE',
  'UNKNOWN_TOPIC',
  'TOPIC_NOT_ALLOWED',
  'UNKNOWN_METRIC',
  'RATE_LIMITED',
] as const;
export type DeadLetterReason = (typeof deadLetterReasons)[number];
