// The notifications area: alarms that reach a person when nobody watches the console. Listens to
// alert transitions on the bus (every instance writes what it hears to PostgreSQL); the leader alone
// runs the passes that escalate and deliver, on a timer and at once after an event. Depends on
// PostgreSQL, the bus, the outbound policy and an injected clock; guarantees that escalation state
// survives a restart, that a step is sent once, and that no secret reaches a log or the API.
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { OutboundPolicy } from '../net/outbound.ts';
import type { AlertRecord } from '../storage/alerts.ts';
import { createNotificationQueries, type DeliveryRow } from '../storage/notifications.ts';
import type { Pool } from '../storage/pool.ts';
import { createDispatcher } from './dispatcher.ts';
import { createEscalation } from './escalation.ts';
import { maskRecipient } from './mask.ts';
import { createEmailSender, type SmtpDefaults } from './senders/email.ts';
import { createSmsSender } from './senders/sms.ts';
import { createWebhookSender } from './senders/webhook.ts';
import { createZaloSender } from './senders/zalo.ts';

/** Open alerts whose start was missed are picked up this far back. */
const catchUpMs = 24 * 3_600_000;

export function createNotifications(deps: {
  pool: Pool;
  bus: EventBus;
  log: Logger;
  clock: () => Date;
  /** Whether this instance runs the passes (the cluster's leader; always true for one instance). */
  isLeader: () => boolean;
  policy: OutboundPolicy;
  smtp: SmtpDefaults;
  alertById: (id: number) => Promise<AlertRecord | undefined>;
  pollMs?: number;
}) {
  const { pool, bus, log, clock } = deps;
  const queries = createNotificationQueries(pool);
  const escalation = createEscalation({ pool, queries, clock, log });
  const dispatcher = createDispatcher({
    queries,
    clock,
    log,
    alertById: deps.alertById,
    senders: {
      email: createEmailSender(deps.policy, deps.smtp),
      sms: createSmsSender(deps.policy),
      zalo: createZaloSender(deps.policy),
      webhook: createWebhookSender(deps.policy, clock),
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  /** Bus events still being written: stop() waits for them. */
  const recording = new Set<Promise<unknown>>();

  /** One full round: missed starts, due steps, due deliveries. */
  async function round(): Promise<void> {
    const now = clock();
    await queries.escalations.start(now, new Date(now.getTime() - catchUpMs));
    await escalation.pass();
    await dispatcher.pass();
  }

  /** Runs a round now (or right after the one under way); resolves when it is done. */
  function runOnce(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await round();
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  }

  const kick = () => {
    if (deps.isLeader())
      void runOnce().catch((error) => log.warn({ err: error }, 'notification round failed'));
  };

  const onAlert = ({ action, alert }: { action: string; alert: AlertRecord }) => {
    // Assignment and notes are work on the alert, not its state: escalation goes on until acknowledged.
    if (action !== 'opened' && action !== 'acknowledged' && action !== 'resolved') return;
    const now = clock();
    const work =
      action === 'opened'
        ? queries.escalations.start(now, now, alert.id)
        : queries.escalations
            .stop(alert.id, now)
            .then(() =>
              queries.deliveries.addClosingNotices(alert.id, action as 'acknowledged' | 'resolved', now),
            );
    const done = work.then(kick, (error) =>
      log.error({ err: error, alertId: alert.id }, 'could not record an alert for notifications'),
    );
    recording.add(done);
    void done.finally(() => recording.delete(done));
  };

  return {
    queries,
    runOnce,
    /** Queues a test message on a channel (to `address`, or the webhook's URL) and returns its log entry. */
    async sendTest(channelId: number, address: string): Promise<DeliveryRow | undefined> {
      const channel = await queries.channels.get(channelId);
      if (!channel) return undefined;
      const shown = channel.type === 'webhook' ? String(channel.settings.url ?? '') : address;
      const now = clock();
      const [id] = await queries.deliveries.add(
        pool,
        [
          {
            alertId: null,
            policyId: null,
            step: null,
            event: 'test',
            channelId,
            channelType: channel.type,
            contactId: null,
            address: channel.type === 'webhook' ? '' : address,
            recipient: maskRecipient(channel.type, shown),
            status: 'pending',
            nextAttemptAt: now,
          },
        ],
        now,
      );
      kick();
      return queries.deliveries.get(id!);
    },
    start() {
      bus.on('alert', onAlert);
      timer = setInterval(kick, deps.pollMs ?? 5_000);
      timer.unref();
    },
    async stop() {
      bus.off('alert', onAlert);
      if (timer) clearInterval(timer);
      await Promise.all(recording);
      await running?.catch(() => {});
    },
  };
}

export type Notifications = ReturnType<typeof createNotifications>;
