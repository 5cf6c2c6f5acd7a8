// The environment, parsed once. Nothing else reads process.env: areas receive what they need from here.
// A wrong value stops start-up with a message naming the variable and what it accepts.
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .url()
    .refine((u) => protocols.some((p) => u.startsWith(`${p}:`)), {
      message: `must start with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    })
    .optional();

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
    DATA_DIR: z.string().min(1).default('./data'),
    HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    HTTP_PORT: port.default(8080),
    MQTT_HOST: z.string().min(1).default('0.0.0.0'),
    MQTT_PORT: port.default(1883),
    MQTT_WS_PORT: port.optional(),
    MQTT_URL: optionalUrl(['mqtt', 'mqtts', 'ws', 'wss']),
    /** Development only: let MQTT clients connect without credentials. Refused in production. */
    MQTT_ALLOW_ANONYMOUS: flag.default(false),
    MQTT_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).max(16_777_216).default(65_536),
    REDIS_URL: optionalUrl(['redis', 'rediss']),
    ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    JWT_SECRET: z.string().min(1).optional(),
    JWT_TTL_S: z.coerce.number().int().min(60).max(604_800).default(43_200),
    /** Largest number of readings waiting for the database; beyond it publishers wait (back-pressure). */
    INGEST_QUEUE_LIMIT: z.coerce.number().int().min(100).default(100_000),
    INGEST_BATCH_ROWS: z.coerce.number().int().min(1).max(50_000).default(5_000),
    INGEST_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(50),
    /** A reading whose ts is further ahead of the receive time than this is refused. */
    INGEST_MAX_FUTURE_S: z.coerce.number().int().min(0).default(300),
    /** A reading older than this is refused (a clock that never synced reports 1970). */
    INGEST_MAX_AGE_DAYS: z.coerce.number().int().min(1).default(30),
    /** Readings older than this at arrival are stored as backlog and flagged `late` on the bus. */
    INGEST_LATE_AFTER_S: z.coerce.number().int().min(1).default(300),
    /** Map tiles for the console, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; unset: a plain map. */
    CONSOLE_TILE_URL: z.string().url().optional(),
    /** Live telemetry to consoles is batched over this window (alerts never wait). */
    LIVE_COALESCE_MS: z.coerce.number().int().min(10).max(10_000).default(250),
    /** A command without a cmd_result after this many seconds is marked timed_out. */
    COMMAND_TIMEOUT_S: z.coerce.number().int().min(1).max(3_600).default(30),
    TELEMETRY_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
  })
  .superRefine((c, ctx) => {
    if (c.NODE_ENV !== 'production') return;
    if (!c.JWT_SECRET || c.JWT_SECRET.length < 32) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message:
          'is required in production and must be at least 32 characters (try: openssl rand -base64 48)',
      });
    }
    if (c.MQTT_ALLOW_ANONYMOUS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MQTT_ALLOW_ANONYMOUS'],
        message: 'is a development switch and cannot be on in production',
      });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; empty strings count as unset so `FOO=` in a .env file means "default". */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(ConfigSchema.shape) as string[];
  const input: Record<string, string> = {};
  for (const name of known) {
    const value = env[name];
    if (value !== undefined && value !== '') input[name] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const given = name in input && !/SECRET|PASSWORD/.test(name) ? ` (got "${input[name]}")` : '';
    return `  ${name}${given}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration, fix these environment variables:\n${lines.join('\n')}`);
}
