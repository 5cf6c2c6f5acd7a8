// Webhook notifications of alert transitions. Each transition is queued in webhook_deliveries (so a
// restart loses nothing), then POSTed with an HMAC-SHA256 signature, retried with exponential back-off,
// and given up after a few hours with the reason kept. Nothing here is awaited by ingest or the engine.
// The body is the alert's transition envelope (wire.ts), the same a console's `alert` event carries;
// every action goes out except `noted`.
// The URL is an admin's input: deliveries go through the outbound policy (src/net/outbound.ts), and the
// log an admin reads says "unreachable" or "refused by policy", never the operating system's error, so
// it cannot tell a closed port from a filtered one (it would otherwise scan the city's network).
import { createHmac } from 'node:crypto';
import type { AlertEvent, EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import { OutboundError, type OutboundPolicy, postOutbound } from '../net/outbound.ts';
import type { WebhookQueries } from '../storage/webhooks.ts';
import { alertEventWire } from './wire.ts';

export const maxAttempts = 10;
const timeoutMs = 5_000;

/** Seconds before attempt n+1 (n ≥ 1): 2, 4, 8 ... capped at an hour. */
export const backoffSeconds = (attempts: number) => Math.min(3_600, 2 ** attempts);

/** What the receiver checks: HMAC-SHA256 over `${timestamp}.${body}` with the webhook's secret. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookNotifier {
  start(): void;
  stop(): Promise<void>;
  /** One pass over due deliveries (tests call it instead of waiting for the timer). */
  deliverDue(): Promise<number>;
}

export function createWebhookNotifier(deps: {
  queries: WebhookQueries;
  bus: EventBus;
  log: Logger;
  clock: () => Date;
  pollMs?: number;
  /** Where deliveries may go (loopback and private addresses only if the allow-list names them). */
  policy: OutboundPolicy;
}): WebhookNotifier {
  const { queries, bus, log, clock, policy } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let again: Promise<number> | undefined;

  const onAlert = ({ action, alert }: AlertEvent) => {
    // A note is the control room's working text (names, phone numbers of callers): it stays inside.
    if (action === 'noted') return;
    queries
      .enqueue(alert, action, alertEventWire(action, alert))
      .then((n) => n > 0 && void deliverDue())
      .catch((error) => log.error({ err: error, alertId: alert.id }, 'could not queue webhook deliveries'));
  };

  async function attempt(delivery: Awaited<ReturnType<WebhookQueries['claimDue']>>[number]) {
    const body = JSON.stringify(delivery.payload);
    const timestamp = String(Math.floor(clock().getTime() / 1000));
    let status: number | null = null;
    let error = '';
    let detail: string | undefined;
    try {
      ({ status } = await postOutbound(policy, delivery.url, {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'city-ioc-webhooks/1',
          'x-ioc-event': `alert.${delivery.action}`,
          'x-ioc-delivery': String(delivery.id),
          'x-ioc-timestamp': timestamp,
          'x-ioc-signature': signature(delivery.secret, timestamp, body),
        },
        body,
        timeoutMs,
      }));
      if (status >= 300 && status < 400) error = `HTTP ${status} (redirects are not followed)`;
      else if (status < 200 || status >= 300) error = `HTTP ${status}`;
    } catch (e) {
      error = e instanceof OutboundError ? e.reason : 'unreachable';
      detail = e instanceof OutboundError ? e.detail : (e as Error).message;
    }
    if (!error && status !== null) {
      await queries.delivered(delivery.id, status, clock());
      return;
    }
    const attempts = delivery.attempts + 1;
    const next =
      attempts >= maxAttempts ? null : new Date(clock().getTime() + backoffSeconds(attempts) * 1000);
    await queries.failedAttempt(delivery.id, status, error, next);
    // The server's own log keeps the cause, for whoever runs the server.
    if (!next)
      log.warn({ deliveryId: delivery.id, url: delivery.url, error, detail }, 'webhook delivery given up');
  }

  async function deliverDue(): Promise<number> {
    // A pass already running may have looked before the caller's delivery was queued: one more pass
    // after it (shared by every caller meanwhile), so what is due when this is called is attempted.
    if (running) {
      again ??= running.then(() => {
        again = undefined;
        return deliverDue();
      });
      return again;
    }
    running = (async () => {
      let done = 0;
      for (;;) {
        const due = await queries.claimDue(clock(), 20, 60_000);
        if (due.length === 0) return done;
        await Promise.all(due.map(attempt));
        done += due.length;
      }
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    start() {
      bus.on('alert', onAlert);
      timer = setInterval(
        () => void deliverDue().catch((e) => log.warn({ err: e }, 'webhook pass failed')),
        deps.pollMs ?? 1_000,
      );
      timer.unref();
    },
    async stop() {
      bus.off('alert', onAlert);
      if (timer) clearInterval(timer);
      await running?.catch(() => {});
    },
    deliverDue,
  };
}
