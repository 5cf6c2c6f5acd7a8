// One pino logger per process; areas take `log.child({ area })`. Secrets are redacted by path so a
// careless log line cannot leak a device secret, a password, a token or an API key.
import { type Logger, pino } from 'pino';

export type { Logger };

/** Field names that hold secrets, wherever they appear: redacted in logs and in audit details. */
export const secretFields = [
  'password',
  'currentPassword',
  'newPassword',
  'secret',
  'secretHash',
  'passwordHash',
  'token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'jwtSecret',
  'authorization',
  'cookie',
  'x-api-key',
  'x-ioc-hook-token',
  'set-cookie',
];

// pino's redaction is compiled from paths, so each name is listed at the top level and two levels
// down (`{ body: { user: { password } } }`), and every header map a request or response log carries.
const at = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`);
export const redactedPaths = secretFields.flatMap((name) => [
  at(name).replace(/^\./, ''),
  `*${at(name)}`,
  `*.*${at(name)}`,
  `*.headers${at(name)}`,
  `*.*.headers${at(name)}`,
]);

/** A copy of a request body or other untrusted object with every secret field replaced. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const names = new Set(secretFields.map((f) => f.toLowerCase()));
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      names.has(k.toLowerCase()) ? '[redacted]' : redactSecrets(v, depth + 1),
    ]),
  );
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: redactedPaths, censor: '[redacted]' } }, destination);
}
