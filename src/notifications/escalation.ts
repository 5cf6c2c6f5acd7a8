// The escalation pass: for each alert whose next step is due and which is still open, the step's
// recipients (named contacts and whoever is on call then) get a delivery per channel; the chain then
// waits for the next step's minutes or ends. A step and its deliveries are written in one transaction
// with the chain's row locked, so two instances (a leader hand-over) never send a step twice.
import type { Logger } from '../log.ts';
import type {
  ChannelRow,
  ContactRow,
  DueEscalation,
  NewDelivery,
  NotificationQueries,
  PolicyRow,
  ScheduleRow,
  Step,
} from '../storage/notifications.ts';
import { inTransaction, type Pool } from '../storage/pool.ts';
import { maskRecipient } from './mask.ts';
import { isQuiet, onCall, quietEnds } from './schedule.ts';

const batch = 50;

interface Directory {
  policies: Map<number, PolicyRow>;
  schedules: Map<number, ScheduleRow>;
  contacts: Map<number, ContactRow>;
  channels: Map<number, ChannelRow>;
}

const byId = <T extends { id: number }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));

const addressOf = (channel: ChannelRow, contact: ContactRow) =>
  channel.type === 'email' ? contact.email : channel.type === 'sms' ? contact.phone : contact.zaloUserId;

/** Who a step reaches at `at`, on which channels: one entry per (channel, address). */
export function stepDeliveries(
  step: Step,
  at: Date,
  directory: Omit<Directory, 'policies'>,
): Array<Pick<NewDelivery, 'channelId' | 'channelType' | 'contactId' | 'address' | 'recipient'>> {
  const onDuty = step.scheduleIds.flatMap((id) => onCall(directory.schedules.get(id)?.shifts ?? [], at));
  const contacts = [...new Set([...step.contactIds, ...onDuty])]
    .map((id) => directory.contacts.get(id))
    .filter((c): c is ContactRow => c?.enabled === true);
  const out: ReturnType<typeof stepDeliveries> = [];
  for (const channelId of step.channelIds) {
    const channel = directory.channels.get(channelId);
    if (!channel?.enabled) continue;
    if (channel.type === 'webhook') {
      const url = String(channel.settings.url ?? '');
      out.push({
        channelId,
        channelType: 'webhook',
        contactId: null,
        address: '',
        recipient: maskRecipient('webhook', url),
      });
      continue;
    }
    const seen = new Set<string>();
    for (const contact of contacts) {
      const address = addressOf(channel, contact);
      if (!address || seen.has(address)) continue;
      seen.add(address);
      out.push({
        channelId,
        channelType: channel.type,
        contactId: contact.id,
        address,
        recipient: maskRecipient(channel.type, address),
      });
    }
  }
  return out;
}

export function createEscalation(deps: {
  pool: Pool;
  queries: NotificationQueries;
  clock: () => Date;
  log: Logger;
}) {
  const { pool, queries, clock, log } = deps;

  async function directory(): Promise<Directory> {
    const [policies, schedules, contacts, channels] = await Promise.all([
      queries.policies.list(),
      queries.schedules.list(),
      queries.contacts.list(),
      queries.channels.list(),
    ]);
    return {
      policies: byId(policies),
      schedules: byId(schedules),
      contacts: byId(contacts),
      channels: byId(channels),
    };
  }

  async function runStep(
    client: Parameters<NotificationQueries['escalations']['claimDue']>[0],
    e: DueEscalation,
    dir: Directory,
    now: Date,
  ) {
    const policy = dir.policies.get(e.policyId);
    const step = policy?.steps[e.nextStep];
    if (!policy?.enabled || !step || e.alertState !== 'open') {
      await queries.escalations.advance(client, e, null, now);
      return;
    }
    // Quiet hours hold (or drop) what is not critical; the chain's later steps count from when it goes.
    const quiet =
      policy.quietHours && e.severity !== 'critical' && isQuiet(policy.quietHours, now)
        ? policy.quietHours
        : null;
    const sendAt = quiet?.action === 'hold' ? quietEnds(quiet, now) : now;
    const planned = stepDeliveries(step, sendAt, dir);
    if (planned.length === 0)
      log.warn(
        { alertId: e.alertId, policyId: e.policyId, step: e.nextStep },
        'escalation step reaches nobody',
      );
    const status = quiet ? (quiet.action === 'hold' ? 'held' : 'skipped') : 'pending';
    const lastError =
      quiet?.action === 'skip'
        ? 'quiet hours: not sent (the policy skips non-critical alerts then)'
        : quiet
          ? 'quiet hours: held until they end'
          : undefined;
    await queries.deliveries.add(
      client,
      planned.map((p) => ({
        ...p,
        alertId: e.alertId,
        policyId: e.policyId,
        step: e.nextStep,
        event: e.nextStep === 0 ? 'opened' : 'escalated',
        status,
        nextAttemptAt: sendAt,
        lastError,
      })),
      now,
    );
    const next = policy.steps[e.nextStep + 1];
    const base = quiet?.action === 'hold' ? sendAt.getTime() : e.nextAt.getTime();
    const nextAt =
      next && quiet?.action !== 'skip'
        ? new Date(base + (next.afterMinutes - step.afterMinutes) * 60_000)
        : null;
    await queries.escalations.advance(client, e, nextAt, now);
  }

  return {
    /** Runs every due step; returns how many were handled. */
    async pass(): Promise<number> {
      const dir = await directory();
      let handled = 0;
      for (;;) {
        const now = clock();
        const count = await inTransaction(pool, async (client) => {
          const due = await queries.escalations.claimDue(client, now, batch);
          for (const e of due) await runStep(client, e, dir, now);
          return due.length;
        });
        handled += count;
        if (count < batch) return handled;
      }
    },
  };
}
