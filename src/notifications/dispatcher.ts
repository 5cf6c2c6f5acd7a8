// The delivery pass: claims due deliveries from the log (which is the queue), sends each through its
// channel, and writes the outcome: sent; tried again with back-off after a transient failure; failed
// for good; or cancelled when the alert was acknowledged or resolved before it went. The log keeps the
// masked recipient and a reason that names no secret; the server's log says the same, nothing more.
import { backoffSeconds, maxAttempts } from '../alerts/webhooks.ts';
import { alertWire } from '../alerts/wire.ts';
import type { Logger } from '../log.ts';
import type { AlertRecord } from '../storage/alerts.ts';
import type { ChannelRow, DeliveryRow, NotificationQueries } from '../storage/notifications.ts';
import { alertMessage, type Message, testMessage } from './messages.ts';
import type { ChannelType } from './schemas.ts';
import { DeliveryError, type Sender } from './senders/types.ts';

const batch = 20;
/** A claimed delivery is another instance's to take after this long (this one died mid-send). */
const leaseMs = 120_000;

export function createDispatcher(deps: {
  queries: NotificationQueries;
  senders: Record<ChannelType, Sender>;
  alertById: (id: number) => Promise<AlertRecord | undefined>;
  clock: () => Date;
  log: Logger;
}) {
  const { queries, senders, clock, log } = deps;

  async function message(d: DeliveryRow, channel: ChannelRow): Promise<Message | string> {
    if (d.event === 'test' || d.alertId === null) return testMessage(channel.name);
    const alert = await deps.alertById(d.alertId);
    if (!alert) return 'the alert no longer exists';
    if ((d.event === 'opened' || d.event === 'escalated') && alert.state !== 'open')
      return `the alert was ${alert.state} first`;
    return alertMessage(d.event, alertWire(alert), d.step);
  }

  async function attempt(d: DeliveryRow, channels: Map<number, ChannelRow | undefined>) {
    if (!channels.has(d.channelId)) channels.set(d.channelId, await queries.channels.get(d.channelId));
    const channel = channels.get(d.channelId);
    const fields = { deliveryId: d.id, alertId: d.alertId, channelId: d.channelId, recipient: d.recipient };
    if (!channel?.enabled) {
      await queries.deliveries.settle(d.id, { status: 'failed', error: 'the channel is disabled' }, clock());
      return;
    }
    const content = await message(d, channel);
    if (typeof content === 'string') {
      await queries.deliveries.settle(d.id, { status: 'cancelled', error: content }, clock());
      return;
    }
    try {
      await senders[channel.type](channel, d.address, content);
      await queries.deliveries.settle(d.id, { status: 'sent' }, clock());
    } catch (caught) {
      const error = caught instanceof DeliveryError ? caught : new DeliveryError('internal error', true);
      if (!(caught instanceof DeliveryError))
        log.error({ err: caught, ...fields }, 'notification sender failed');
      const attempts = d.attempts + 1;
      const now = clock();
      const retry = error.transient && attempts < maxAttempts;
      await queries.deliveries.settle(
        d.id,
        retry
          ? {
              status: 'retrying',
              error: error.reason,
              retryAt: new Date(now.getTime() + backoffSeconds(attempts) * 1000),
            }
          : { status: 'failed', error: error.reason },
        now,
      );
      log.warn(
        { ...fields, channelType: channel.type, error: error.reason, attempts, retry },
        retry ? 'notification not delivered; will retry' : 'notification not delivered; given up',
      );
    }
  }

  return {
    /** Sends every due delivery; returns how many were tried. */
    async pass(): Promise<number> {
      const channels = new Map<number, ChannelRow | undefined>();
      let tried = 0;
      for (;;) {
        const due = await queries.deliveries.claimDue(clock(), batch, leaseMs);
        await Promise.all(due.map((d) => attempt(d, channels)));
        tried += due.length;
        if (due.length < batch) return tried;
      }
    },
  };
}
