// The external broker asks the IOC who may connect, publish and subscribe (EMQX's HTTP authenticator
// and HTTP authorizer), with the same rules as the embedded broker (broker/auth.ts, ingest/topics.ts):
// a device logs in with client id = username = its id and its secret, publishes only its own
// telemetry/status/event topics and subscribes only to its own cmd topic; the IOC's ingest account
// subscribes to the shared subscriptions and publishes commands.
// These routes are `public` to the role system (EMQX holds no user token) and check a shared token of
// their own instead (MQTT_AUTH_HOOK_TOKEN in the x-ioc-hook-token header, compared in constant time);
// without that setting they are not registered at all. They answer 200 with allow/deny, as EMQX expects,
// and write no audit entry per call (a fleet's reconnects would flood it): refusals are counted.
// POST /broker/sync (admin) gives devices registered before the switch to Mosquitto an account there.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { allowedSubscription, authenticateDevice } from '../../broker/auth.ts';
import { sharedTopics } from '../../broker/external.ts';
import { AppError } from '../../errors.ts';
import { inboundChannels, parseTopic } from '../../ingest/topics.ts';
import type { Metrics } from '../../metrics/index.ts';
import type { BrokerAccounts } from '../../registry/brokerAccounts.ts';
import type { DeviceRegistry } from '../../registry/index.ts';
import { ErrorBody } from '../schemas.ts';

export const hookTokenHeader = 'x-ioc-hook-token';

export interface BrokerHookOptions {
  registry: DeviceRegistry;
  metrics: Metrics;
  /** MQTT_AUTH_HOOK_TOKEN; unset: the EMQX hooks are not registered. */
  token: string | undefined;
  /** The IOC's own account on the broker and its shared-subscription group. */
  ingest: { username: string | undefined; password: string | undefined; group: string };
  /** Mosquitto dynamic security, for /broker/sync; unset: that route answers 409. */
  accounts: BrokerAccounts | undefined;
}

const digest = (value: string) => createHash('sha256').update(value).digest();
const sameSecret = (given: string | undefined, expected: string) =>
  given !== undefined && timingSafeEqual(digest(given), digest(expected));

const Verdict = z.object({ result: z.enum(['allow', 'deny']), is_superuser: z.boolean().optional() });
const AuthRequest = z.object({
  clientid: z.string().max(256),
  username: z.string().max(256).optional(),
  password: z.string().max(1_024).optional(),
});
const AclRequest = z.object({
  clientid: z.string().max(256),
  username: z.string().max(256).optional(),
  topic: z.string().max(1_024),
  action: z.enum(['publish', 'subscribe']),
});

export async function brokerHookRoutes(app: FastifyInstance, opts: BrokerHookOptions) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { registry, metrics, ingest } = opts;
  const token = opts.token;

  if (token) {
    const checkToken = async (request: FastifyRequest) => {
      const given = request.headers[hookTokenHeader];
      if (typeof given !== 'string' || !sameSecret(given, token)) {
        throw new AppError('UNAUTHENTICATED', `send the broker hook token in the ${hookTokenHeader} header`);
      }
    };
    const isIngest = (username: string | undefined) =>
      ingest.username !== undefined && username === ingest.username;
    const hookConfig = { role: 'public' as const, audit: 'explicit' as const };
    // The hook token is these routes' own credential, checked by checkToken: the roles plugin sees public.
    const hookSecurity = [{ hookToken: [] }];
    const errors = { 400: ErrorBody, 401: ErrorBody };

    r.post(
      '/broker/auth',
      {
        config: hookConfig,
        onRequest: checkToken,
        schema: {
          operationId: 'authenticateBrokerClient',
          summary: 'Broker hỏi: thiết bị này được kết nối không? / Broker asks: may this client connect?',
          description:
            'Bộ xác thực HTTP của EMQX, theo đúng luật của broker nhúng; luôn trả 200 allow/deny. / ' +
            "EMQX's HTTP authenticator, with the embedded broker's rules; always 200 with allow or deny.",
          tags: ['broker'],
          security: hookSecurity,
          body: AuthRequest,
          response: { 200: Verdict, ...errors },
        },
      },
      async (request) => {
        const { clientid, username, password } = request.body;
        if (isIngest(username)) {
          const ok = ingest.password !== undefined && sameSecret(password, ingest.password);
          if (!ok) metrics.mqttAuthFailures.inc({ reason: 'bad_secret' });
          return { result: ok ? ('allow' as const) : ('deny' as const), is_superuser: false };
        }
        const outcome = await authenticateDevice(
          registry,
          clientid,
          username,
          password === undefined ? undefined : Buffer.from(password, 'utf8'),
          false,
        );
        if (!outcome.ok) metrics.mqttAuthFailures.inc({ reason: outcome.reason });
        return { result: outcome.ok ? ('allow' as const) : ('deny' as const), is_superuser: false };
      },
    );

    const ingestSubscriptions = new Set([
      ...sharedTopics(ingest.group),
      ...inboundChannels.map((channel) => `ioc/+/+/+/${channel}`),
    ]);

    r.post(
      '/broker/acl',
      {
        config: hookConfig,
        onRequest: checkToken,
        schema: {
          operationId: 'authorizeBrokerClient',
          summary:
            'Broker hỏi: được gửi hay đăng ký chủ đề này không? / Broker asks: may this client publish or subscribe?',
          description:
            'Bộ phân quyền HTTP của EMQX; luôn trả 200 allow/deny. / ' +
            "EMQX's HTTP authorizer; always 200 with allow or deny.",
          tags: ['broker'],
          security: hookSecurity,
          body: AclRequest,
          response: { 200: Verdict, ...errors },
        },
      },
      async (request) => {
        const { clientid, username, topic, action } = request.body;
        let allowed = false;
        if (isIngest(username)) {
          allowed =
            action === 'subscribe' ? ingestSubscriptions.has(topic) : parseTopic(topic)?.channel === 'cmd';
        } else if (username !== undefined && username === clientid && registry.get(username)) {
          if (action === 'subscribe') allowed = topic === allowedSubscription(registry, username);
          else {
            const parsed = parseTopic(topic);
            const device = registry.get(username)!;
            allowed =
              parsed !== undefined &&
              parsed.channel !== 'cmd' &&
              parsed.deviceId === device.id &&
              parsed.city === device.city &&
              parsed.kind === device.kind;
          }
        }
        if (!allowed)
          metrics.mqttAuthFailures.inc({
            reason: action === 'subscribe' ? 'subscribe_denied' : 'publish_denied',
          });
        return { result: allowed ? ('allow' as const) : ('deny' as const) };
      },
    );
  }

  r.post(
    '/broker/sync',
    {
      config: { role: 'admin' },
      schema: {
        operationId: 'syncBrokerAccounts',
        summary:
          'Tạo tài khoản Mosquitto cho thiết bị còn thiếu / Give devices missing on Mosquitto an account',
        description:
          'Mật khẩu của các thiết bị đó được đổi và chỉ hiện ở đây, một lần; 409 khi không cấu hình Mosquitto dynamic security. / ' +
          'Their secret is rotated (shown only here, once); 409 without Mosquitto dynamic security configured.',
        tags: ['broker'],
        body: z.object({ devices: z.array(z.string().max(128)).max(100_000).optional() }).optional(),
        response: {
          200: z.object({ rotated: z.array(z.object({ id: z.string(), secret: z.string() })) }),
          400: ErrorBody,
          401: ErrorBody,
          403: ErrorBody,
          409: ErrorBody,
        },
      },
    },
    async (request) => {
      const accounts = opts.accounts;
      if (!accounts)
        throw new AppError(
          'CONFLICT',
          'no broker accounts to sync: set MQTT_DYNSEC_ADMIN_USERNAME/_PASSWORD (Mosquitto dynamic security)',
        );
      // Secrets are stored hashed, so a device missing on the broker can only get a new one.
      const present = await accounts.list();
      const asked = request.body?.devices;
      const ids = asked ?? [...registry.all()].map((d) => d.id).filter((id) => !present.has(id));
      const rotated = [];
      for (const id of ids) rotated.push({ id, secret: await registry.rotateCredentials(id) });
      return { rotated };
    },
  );
}
