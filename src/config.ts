// The environment, parsed once. Nothing else reads process.env: areas receive what they need from here.
// A wrong value stops start-up with a message naming the variable and what it accepts.
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { z } from 'zod';
import { isAllowListEntry } from './net/outbound.ts';

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
    /** HTTPS for the API and the console: PEM certificate chain and key (both or neither). */
    HTTP_TLS_CERT_FILE: z.string().min(1).optional(),
    HTTP_TLS_KEY_FILE: z.string().min(1).optional(),
    /** Largest accepted HTTP request body; larger ones get 413 PAYLOAD_TOO_LARGE. */
    HTTP_BODY_LIMIT_BYTES: z.coerce.number().int().min(1_024).max(16_777_216).default(1_048_576),
    /** Browser origins allowed to call the API from another site; unset: same origin only (no CORS headers). */
    CORS_ORIGINS: z
      .string()
      .transform((list) =>
        list
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url().regex(/^https?:\/\/[^/]+$/, 'an origin is scheme://host[:port], no path')))
      .default([]),
    /**
     * The reverse proxies whose X-Forwarded-For is believed, so request.ip (audit log, login throttle)
     * is the client's address, not the proxy's: false (none: the header is ignored), true (any peer:
     * only when nothing but the proxy can reach the IOC), or the proxies' addresses and CIDR ranges.
     * No hop count: it says nothing of who the peer is, and fastify refuses to trust by it.
     */
    TRUST_PROXY: z
      .string()
      .trim()
      .transform((value, ctx): boolean | string[] => {
        if (/^(false|no)$/i.test(value)) return false;
        if (/^(true|yes)$/i.test(value)) return true;
        const entries = value
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
        const wrong = entries.filter((e) => !isProxyAddress(e));
        if (entries.length === 0 || wrong.length > 0)
          ctx.addIssue({
            code: 'custom',
            message: `${wrong.join(', ') || 'nothing'}: give false, true, or the proxies' IP addresses and CIDR ranges, comma-separated`,
          });
        return entries;
      })
      .default(false),
    /**
     * Bearer token that opens /metrics on the API's listener (Prometheus's `authorization`). Unset: in
     * production /metrics is not on that listener at all; elsewhere it is open, as in development.
     */
    METRICS_TOKEN: z
      .string()
      .min(32, 'must be at least 32 characters (try: openssl rand -hex 32)')
      .max(256)
      .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces: it travels in an HTTP header')
      .optional(),
    /**
     * A listener of its own that serves /metrics only, without a token: `host:port`, or `off`. Unset:
     * 127.0.0.1:9464 in production (a scraper on the same host), off elsewhere.
     */
    METRICS_LISTEN: z
      .string()
      .trim()
      .transform((value, ctx): { host: string; port: number } | false => {
        if (value === 'off') return false;
        const match = /^(.+):(\d{1,5})$/.exec(value);
        const host = match?.[1]?.replace(/^\[(.*)\]$/, '$1');
        const portNumber = Number(match?.[2]);
        if (!host || portNumber > 65_535) {
          ctx.addIssue({ code: 'custom', message: 'give host:port (127.0.0.1:9464, [::1]:9464) or off' });
          return false;
        }
        return { host, port: portNumber };
      })
      .optional(),
    /** The OpenAPI description and its viewer at /docs. Unset: on outside production, off in it. */
    DOCS_PUBLIC: flag.optional(),
    MQTT_HOST: z.string().min(1).default('0.0.0.0'),
    MQTT_PORT: port.default(1883),
    MQTT_WS_PORT: port.optional(),
    /** MQTT over TLS (and WSS on MQTT_WS_PORT) when certificate and key are set. */
    MQTT_TLS_PORT: port.default(8883),
    MQTT_TLS_CERT_FILE: z.string().min(1).optional(),
    MQTT_TLS_KEY_FILE: z.string().min(1).optional(),
    /** CA that signs device certificates: a device may then log in with a certificate whose CN is its id. */
    MQTT_TLS_CA_FILE: z.string().min(1).optional(),
    /** Refuse TLS clients without a device certificate signed by MQTT_TLS_CA_FILE. */
    MQTT_TLS_REQUIRE_CLIENT_CERT: flag.default(false),
    /** Plain MQTT on MQTT_PORT. Unset: on without TLS outside production, off once TLS is configured. */
    MQTT_ALLOW_PLAINTEXT: flag.optional(),
    MQTT_URL: optionalUrl(['mqtt', 'mqtts', 'ws', 'wss']),
    /** Development only: let MQTT clients connect without credentials. Refused in production. */
    MQTT_ALLOW_ANONYMOUS: flag.default(false),
    MQTT_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(256).max(16_777_216).default(65_536),
    /**
     * Before CONNACK (embedded broker): a client that has not completed CONNECT and authentication
     * within this long is cut, and its first packet must be a CONNECT of at most MQTT_CONNECT_MAX_BYTES.
     */
    MQTT_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(10_000),
    MQTT_CONNECT_MAX_BYTES: z.coerce.number().int().min(256).max(65_536).default(8_192),
    /** Connections not yet authenticated, from one address and in all; devices behind one NAT share the first. */
    MQTT_PREAUTH_PER_ADDRESS: z.coerce.number().int().min(1).default(256),
    MQTT_PREAUTH_MAX: z.coerce.number().int().min(1).default(2_000),
    /** All MQTT connections (authenticated or not), from one address and in all. */
    MQTT_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(1).default(20_000),
    MQTT_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(50_000),
    /** External broker mode (scale-out): the shared-subscription group every IOC instance joins. */
    MQTT_SHARED_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (it is a topic level)')
      .default('ioc'),
    /** The IOC's own account on the external broker (subscribes to devices' topics, publishes cmd). */
    MQTT_INGEST_USERNAME: z.string().min(1).optional(),
    MQTT_INGEST_PASSWORD: z.string().min(1).optional(),
    /** Mosquitto dynamic security: an admin account that may publish to $CONTROL/dynamic-security/v1. */
    MQTT_DYNSEC_ADMIN_USERNAME: z.string().min(1).optional(),
    MQTT_DYNSEC_ADMIN_PASSWORD: z.string().min(1).optional(),
    /** Shared token EMQX sends to /api/v1/broker/auth and /acl; unset: those endpoints do not exist. */
    MQTT_AUTH_HOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    REDIS_URL: optionalUrl(['redis', 'rediss']),
    /** Prefix of every Redis key and channel of this deployment (several deployments may share a Redis). */
    REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_:.-]{1,64}$/)
      .default('ioc'),
    /**
     * This instance's name: MQTT client id ioc-ingest-<INSTANCE_ID> on an external broker, whose
     * persistent session waits for it. Keep it stable across restarts (the default is not).
     */
    INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . and - only')
      .default(
        () =>
          `${hostname()
            .replace(/[^A-Za-z0-9_.-]/g, '-')
            .slice(0, 40)}-${process.pid}`,
      ),
    ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
    JWT_SECRET: z.string().min(1).optional(),
    JWT_TTL_S: z.coerce.number().int().min(60).max(604_800).default(43_200),
    /** Failed logins for one account (from any address) before it is locked for LOGIN_LOCKOUT_S. */
    LOGIN_LOCKOUT_FAILURES: z.coerce.number().int().min(3).max(1_000).default(20),
    LOGIN_LOCKOUT_S: z.coerce.number().int().min(10).max(86_400).default(900),
    /** Login attempts one address may make per minute (a burst of as many); the excess gets 429 before any work. */
    LOGIN_ADDRESS_RATE_PER_MIN: z.coerce.number().int().min(1).max(10_000).default(30),
    /**
     * Login attempts per second over all addresses (a burst of two seconds' worth); the excess gets 429
     * before any database read or hash. A pair (user, address) that logged in before is not counted here.
     */
    LOGIN_GLOBAL_RATE_PER_S: z.coerce.number().min(0.1).max(1_000).default(5),
    /**
     * Logins waiting for the password hash, which runs one at a time (64 MiB of scrypt, one thread of the
     * pool device secret checks share); beyond this they get 429 with Retry-After.
     */
    LOGIN_HASH_QUEUE: z.coerce.number().int().min(1).max(1_000).default(8),
    /** Device claims per minute with one provisioning key (a burst of as many); the excess gets 429 before any hash. */
    PROVISION_CLAIM_RATE_PER_MIN: z.coerce.number().int().min(1).max(10_000).default(30),
    /** Largest number of readings waiting for the database; beyond it publishers wait (back-pressure). */
    INGEST_QUEUE_LIMIT: z.coerce.number().int().min(100).default(100_000),
    INGEST_BATCH_ROWS: z.coerce.number().int().min(1).max(50_000).default(5_000),
    INGEST_FLUSH_MS: z.coerce.number().int().min(0).max(10_000).default(50),
    /**
     * Batches written at the same time, each on its own connection (the writer holds one more for latest
     * values). 4, not 2: a batch's answer often waits for a busy event loop, and two in flight left the
     * database idle meanwhile (bench, QoS 0 at 10,000 msg/s, measured before the broker had its own thread).
     */
    INGEST_WRITE_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(4),
    /** How often stored readings' latest values are written to device_latest (longer when a flush is slow). */
    INGEST_LATEST_FLUSH_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
    /** A reading whose ts is further ahead of the receive time than this is refused. */
    INGEST_MAX_FUTURE_S: z.coerce.number().int().min(0).default(300),
    /** A reading older than this is refused (a clock that never synced reports 1970). */
    INGEST_MAX_AGE_DAYS: z.coerce.number().int().min(1).default(30),
    /** Readings older than this at arrival are stored as backlog and flagged `late` on the bus. */
    INGEST_LATE_AFTER_S: z.coerce.number().int().min(1).default(300),
    /** Local durable journal (DATA_DIR/journal) that takes acknowledged writes while the database is out. */
    JOURNAL_MAX_BYTES: z.coerce.number().int().min(65_536).default(1_073_741_824),
    /**
     * A batch the database has not stored within this long goes to the journal (database hanging). Not
     * shorter: an overloaded process alone can take seconds (bench: event loop stalls of 1.6 s at QoS 1
     * max), and a database that fails outright goes to the journal at once anyway.
     */
    JOURNAL_AFTER_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
    /** Messages per second one device may send (bursts of INGEST_DEVICE_BURST): QoS 1 beyond it waits with its PUBACK, QoS 0 is refused as RATE_LIMITED. 0: no limit. */
    INGEST_DEVICE_RATE_PER_S: z.coerce.number().min(0).default(20),
    INGEST_DEVICE_BURST: z.coerce.number().int().min(1).default(200),
    /** Messages per second over all devices; beyond it messages are delayed (back-pressure), QoS 0 dropped. 0: no limit. */
    INGEST_GLOBAL_RATE_PER_S: z.coerce.number().min(0).default(0),
    /** Map tiles for the console, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png; unset: a plain map. */
    CONSOLE_TILE_URL: z.string().url().optional(),
    /** The offline base map, a PMTiles archive served to the console by byte ranges; unset: DATA_DIR/basemap.pmtiles. */
    CONSOLE_PMTILES_PATH: z.string().min(1).optional(),
    /** Live telemetry to consoles is batched over this window (alerts never wait). */
    LIVE_COALESCE_MS: z.coerce.number().int().min(10).max(10_000).default(250),
    /**
     * While the app's event loop is saturated the live window doubles, up to this, and comes back
     * once it has room: consoles get coarser updates in a surge, not a slower ingest (alerts never wait).
     */
    LIVE_COALESCE_MAX_MS: z.coerce.number().int().min(10).max(60_000).default(1_000),
    /** Subscribes per second one live socket may send (in bursts of LIVE_SUBSCRIBE_BURST); the excess is refused. */
    LIVE_SUBSCRIBE_PER_S: z.coerce.number().min(0.01).max(1_000).default(2),
    LIVE_SUBSCRIBE_BURST: z.coerce.number().int().min(1).max(1_000).default(5),
    /** Data queued for one live socket that its console has not taken; past it the socket is cut (a console that does not read). */
    LIVE_SOCKET_BUFFER_BYTES: z.coerce.number().int().min(65_536).max(1_073_741_824).default(16_777_216),
    /** The same over every live socket of the instance; past it the sockets holding the most are cut. */
    LIVE_BUFFER_TOTAL_BYTES: z.coerce.number().int().min(65_536).max(17_179_869_184).default(268_435_456),
    /** Open live sockets per user, and in total on the instance; more handshakes are refused. */
    LIVE_SOCKETS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(100),
    LIVE_SOCKETS_MAX: z.coerce.number().int().min(1).max(1_000_000).default(2_000),
    /**
     * Every live socket's token and account are checked again this often: the bound on an ended session's
     * socket when the database's notice of it was missed (plus the few seconds accounts are cached).
     */
    LIVE_SESSION_CHECK_S: z.coerce.number().int().min(1).max(3_600).default(5),
    /**
     * Until this day (Vietnam time, inclusive) the ids of the units abolished on 1 July 2025 (`phuong-3`,
     * `minh-an`...) are still taken on input as the unit each went into, with a deprecation notice;
     * after it they are refused (docs/places.md).
     */
    PLACES_FORMER_IDS_UNTIL: z.iso.date().default('2027-06-30'),
    /** A command without a cmd_result after this many seconds is marked timed_out. */
    COMMAND_TIMEOUT_S: z.coerce.number().int().min(1).max(3_600).default(30),
    TELEMETRY_RETENTION_DAYS: z.coerce.number().int().min(1).default(90),
    /** Hourly and daily rollups (device and indicator) are kept this long: years, for the province's reports. */
    ROLLUP_RETENTION_DAYS: z.coerce.number().int().min(1).default(3_650),
    /** Dead letters older than this are pruned. */
    DEAD_LETTER_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
    /** Webhook delivery logs (delivered or failed) older than this are pruned. */
    WEBHOOK_LOG_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
    /**
     * Internal receivers webhooks may reach: host names, IP addresses and CIDR ranges, comma-separated.
     * Unset: loopback, private, link-local and metadata addresses are refused (after DNS resolution).
     */
    WEBHOOK_ALLOWED_HOSTS: z
      .string()
      .transform((list, ctx) => {
        const entries = list
          .split(',')
          .map((e) => e.trim())
          .filter(Boolean);
        const wrong = entries.filter((e) => !isAllowListEntry(e));
        if (wrong.length > 0)
          ctx.addIssue({
            code: 'custom',
            message: `${wrong.join(', ')}: give host names, IP addresses or CIDR ranges, comma-separated`,
          });
        return entries;
      })
      .default([]),
    /**
     * Email notifications (docs/notifications.md): the SMTP server channels use unless they name their
     * own, its port, TLS from the first byte (465) or STARTTLS, refusing a server without TLS, the account
     * and the sender address.
     */
    NOTIFY_SMTP_HOST: z.string().min(1).max(253).optional(),
    NOTIFY_SMTP_PORT: port.default(587),
    NOTIFY_SMTP_SECURE: flag.default(false),
    NOTIFY_SMTP_REQUIRE_TLS: flag.default(true),
    NOTIFY_SMTP_USERNAME: z.string().min(1).optional(),
    NOTIFY_SMTP_PASSWORD: z.string().min(1).optional(),
    NOTIFY_EMAIL_FROM: z.string().min(3).max(320).optional(),
    /** Local time (Asia/Ho_Chi_Minh, HH:MM) of the nightly backup, or `off`. */
    BACKUP_SCHEDULE: z
      .string()
      .regex(/^(off|([01]\d|2[0-3]):[0-5]\d)$/, 'HH:MM in local time (e.g. 02:30), or off')
      .default('02:30'),
    /** Backups kept in BACKUP_DIR; older ones are deleted after each good backup. */
    BACKUP_KEEP: z.coerce.number().int().min(1).max(1_000).default(14),
    /** Where backups are written; unset: DATA_DIR/backups. */
    BACKUP_DIR: z.string().min(1).optional(),
    /** A self-alert is raised when the last good backup is older than this (and at once when one fails). */
    BACKUP_MAX_AGE_H: z.coerce.number().int().min(1).max(8_760).default(36),
    /** With DATABASE_URL: a folder holding pg_dump and pg_restore at least as new as the server. */
    PG_BIN: z.string().min(1).optional(),
    /** Seconds between passes of the indicator refresher (changed hours → ward and city indicators). */
    FEEDS_REFRESH_S: z.coerce.number().int().min(1).max(3_600).default(60),
    /**
     * Seconds between folds of stored readings into the hourly rollup between passes; at or above
     * FEEDS_REFRESH_S, they are folded only before each pass. 60, not 10: each fold rewrites every
     * active device's hourly rows, and at 10 s PostgreSQL used 15-23 points of a core more (bench,
     * back to back).
     */
    FEEDS_FOLD_S: z.coerce.number().int().min(1).max(3_600).default(60),
    /** An hour (or day) is published to the province feeds this long after it ends, to let late readings in. */
    FEEDS_PUBLISH_DELAY_S: z.coerce.number().int().min(0).max(86_400).default(600),
    /** Feed requests per minute allowed to one API key (a short burst of that many, then a steady rate). */
    FEEDS_RATE_PER_MIN: z.coerce.number().int().min(1).max(100_000).default(120),
    /** The anonymous open-data endpoints (/api/v1/open/...): ward and city aggregates without cameras or security details. */
    OPEN_DATA_ENABLED: flag.default(false),
    /** Bytes of rendered open-data pages kept in memory (least recently used dropped first). 0: no cache. */
    OPEN_DATA_CACHE_BYTES: z.coerce.number().int().min(0).max(1_073_741_824).default(33_554_432),
    /**
     * Open-data reads the cache cannot answer running against the database at once; a few more wait,
     * the rest get 429 with Retry-After: anonymous callers must not take the pool from operators.
     */
    OPEN_DATA_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  })
  .superRefine((c, ctx) => {
    const issue = (name: string, message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
    for (const [cert, key] of [
      ['HTTP_TLS_CERT_FILE', 'HTTP_TLS_KEY_FILE'],
      ['MQTT_TLS_CERT_FILE', 'MQTT_TLS_KEY_FILE'],
    ] as const) {
      if (Boolean(c[cert]) !== Boolean(c[key]))
        issue(c[cert] ? key : cert, `set ${cert} and ${key} together`);
    }
    if (c.MQTT_TLS_CA_FILE && !c.MQTT_TLS_CERT_FILE)
      issue(
        'MQTT_TLS_CA_FILE',
        'device certificates need MQTT over TLS: set MQTT_TLS_CERT_FILE and MQTT_TLS_KEY_FILE',
      );
    if (c.MQTT_TLS_REQUIRE_CLIENT_CERT && !c.MQTT_TLS_CA_FILE)
      issue('MQTT_TLS_REQUIRE_CLIENT_CERT', 'needs MQTT_TLS_CA_FILE, the CA that signs device certificates');
    if (c.MQTT_ALLOW_PLAINTEXT === false && !c.MQTT_TLS_CERT_FILE)
      issue(
        'MQTT_ALLOW_PLAINTEXT',
        'is false and MQTT over TLS is not configured: devices could not connect at all',
      );
    if (c.MQTT_URL && Boolean(c.MQTT_INGEST_USERNAME) !== Boolean(c.MQTT_INGEST_PASSWORD))
      issue(
        c.MQTT_INGEST_USERNAME ? 'MQTT_INGEST_PASSWORD' : 'MQTT_INGEST_USERNAME',
        'set MQTT_INGEST_USERNAME and MQTT_INGEST_PASSWORD together',
      );
    if (Boolean(c.MQTT_DYNSEC_ADMIN_USERNAME) !== Boolean(c.MQTT_DYNSEC_ADMIN_PASSWORD))
      issue(
        c.MQTT_DYNSEC_ADMIN_USERNAME ? 'MQTT_DYNSEC_ADMIN_PASSWORD' : 'MQTT_DYNSEC_ADMIN_USERNAME',
        'set MQTT_DYNSEC_ADMIN_USERNAME and MQTT_DYNSEC_ADMIN_PASSWORD together',
      );
    if (c.LIVE_COALESCE_MAX_MS < c.LIVE_COALESCE_MS)
      issue(
        'LIVE_COALESCE_MAX_MS',
        `is ${c.LIVE_COALESCE_MAX_MS}, below LIVE_COALESCE_MS (${c.LIVE_COALESCE_MS}); set it at least as high`,
      );
    if (c.MQTT_DYNSEC_ADMIN_USERNAME && !c.MQTT_URL)
      issue('MQTT_DYNSEC_ADMIN_USERNAME', 'provisions an external Mosquitto: set MQTT_URL too');
    if (c.NODE_ENV !== 'production') return;
    if (!c.JWT_SECRET || c.JWT_SECRET.length < 32) {
      issue(
        'JWT_SECRET',
        'is required in production and must be at least 32 characters (try: openssl rand -base64 48)',
      );
    } else if (isWeakSecret(c.JWT_SECRET)) {
      issue(
        'JWT_SECRET',
        'looks like a placeholder or a pattern; generate one with: openssl rand -base64 48',
      );
    }
    if (!c.MQTT_TLS_CERT_FILE && c.MQTT_ALLOW_PLAINTEXT === undefined) {
      issue(
        'MQTT_TLS_CERT_FILE',
        'production needs MQTT over TLS (MQTT_TLS_CERT_FILE, MQTT_TLS_KEY_FILE), or MQTT_ALLOW_PLAINTEXT=true when TLS ends before the IOC or devices sit on a closed network',
      );
    }
    if (c.MQTT_ALLOW_ANONYMOUS) {
      ctx.addIssue({
        code: 'custom',
        path: ['MQTT_ALLOW_ANONYMOUS'],
        message: 'is a development switch and cannot be on in production',
      });
    }
  });

/**
 * A secret that is long enough but guessable: a known placeholder, or too few distinct characters
 * (`xxxx…`, `abcabc…`). `openssl rand -base64 48` has about 40 distinct characters.
 */
export function isWeakSecret(secret: string): boolean {
  const folded = secret.toLowerCase().replace(/[^a-z0-9]/g, '');
  const placeholders =
    /(changeme|change|secret|password|default|example|placeholder|jwt|token|test|demo|your|here|key|production|prod|super|my)/g;
  const rest = folded.replace(placeholders, '').replace(/[0-9]/g, '');
  return new Set(secret).size < 12 || rest.length < 10;
}

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Where /metrics and /docs are served, with the production defaults applied: the API's listener
 * shows neither to the public in production unless METRICS_TOKEN or DOCS_PUBLIC says so.
 */
export function monitoringSurface(c: Config): {
  /** /metrics on the API's listener: open, behind the token, or absent. */
  metrics: { open: boolean; token: string | undefined };
  /** The separate /metrics listener, if any. */
  metricsListen: { host: string; port: number } | undefined;
  docs: boolean;
} {
  const production = c.NODE_ENV === 'production';
  const listen = c.METRICS_LISTEN ?? (production ? { host: '127.0.0.1', port: 9464 } : (false as const));
  return {
    metrics: { open: !production && !c.METRICS_TOKEN, token: c.METRICS_TOKEN },
    metricsListen: listen === false ? undefined : listen,
    docs: c.DOCS_PUBLIC ?? !production,
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** An address or CIDR range proxy-addr (fastify's trustProxy) takes, or one of its named ranges. */
function isProxyAddress(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

/**
 * Reads ./.env into process.env when it exists, as `npm start` and the CLIs run from the repository
 * root: the same file docker compose reads. A variable already set in the environment wins.
 */
export function loadDotEnv(file = '.env'): boolean {
  try {
    process.loadEnvFile(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new ConfigError(`cannot read ${file}: ${(error as Error).message}`);
  }
}

/**
 * Parses the environment; empty strings count as unset so `FOO=` in a .env file means "default".
 * Reading process.env (the default) takes ./.env in first; an explicit env object is taken as is.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  if (env === process.env) loadDotEnv();
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
    const given =
      name in input && !/SECRET|PASSWORD|TOKEN|API_KEY/.test(name) ? ` (got "${input[name]}")` : '';
    return `  ${name}${given}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid configuration, fix these environment variables:\n${lines.join('\n')}`);
}
