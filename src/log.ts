// One pino logger per process; areas take `log.child({ area })`. Secrets are redacted by path so a
// careless log line cannot leak a device secret, a password, a token or an API key.
import { type Logger, pino } from 'pino';

export type { Logger };

export const redactedPaths = [
  'password',
  'secret',
  'token',
  '*.password',
  '*.secret',
  '*.token',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactedPaths, censor: '[redacted]' } }, destination);
}
