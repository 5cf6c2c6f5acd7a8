// Attempts by nobody the IOC identified (a bad or forged token, a wrong API key, a failed or throttled
// login) are counted here, not written one by one: anyone who reaches the port can make them as fast
// as they like, and a row each would let them fill the append-only audit log. Each minute becomes one
// row per (source address, action, outcome) with the count and what was tried (statuses, error codes,
// the usernames claimed, the targets), so the log still says who hammered what, when and how often.
//
// Memory and rows stay bounded whatever the sender does: at most `maxKeys` (address, action, outcome)
// tallies per minute, beyond which attempts are folded into one tally per outcome under the address
// and action `*` (with the addresses and actions it took in, themselves bounded); every map of names
// holds at most `maxNames` entries, the rest counted under `(other)`.
import type { AuditEntry, AuditOutcome } from '../storage/audit.ts';

/** The address and action of the tally that takes attempts once a minute's tallies are full. */
export const overflowKey = '*';
const otherName = '(other)';

export interface AttemptCounterOptions {
  /** Distinct (address, action, outcome) tallies per minute before the overflow tally takes the rest. */
  maxKeys: number;
  /** Distinct names kept in each map of a tally (statuses, errors, users, targets, addresses, actions). */
  maxNames: number;
  now?: () => number;
}

type Names = Map<string, number>;

interface Tally {
  minute: number;
  ip: string;
  action: string;
  outcome: AuditOutcome;
  count: number;
  statuses: Names;
  errors: Names;
  claimedUsers: Names;
  targets: Names;
  /** The overflow tally's only: which addresses and actions it took in. */
  addresses: Names;
  actions: Names;
}

export interface AttemptCounter {
  add(entry: AuditEntry): void;
  /** The tallies of minutes that have ended (or all of them), as audit entries; they are forgotten here. */
  take(all: boolean): AuditEntry[];
  /** When the oldest minute held ends, in epoch milliseconds; undefined when nothing is held. */
  nextEnd(): number | undefined;
}

const minuteMs = 60_000;

export function createAttemptCounter(options: AttemptCounterOptions): AttemptCounter {
  const { maxKeys, maxNames } = options;
  const now = options.now ?? Date.now;
  /** minute → key → tally; a Map keeps minutes in the order they began. */
  const minutes = new Map<number, Map<string, Tally>>();

  const bump = (names: Names, name: string | null | undefined) => {
    if (name === null || name === undefined || name === '') return;
    const key = names.has(name) || names.size < maxNames ? name : otherName;
    names.set(key, (names.get(key) ?? 0) + 1);
  };

  const tallyFor = (minute: number, ip: string, action: string, outcome: AuditOutcome) => {
    let tallies = minutes.get(minute);
    if (!tallies) {
      tallies = new Map();
      minutes.set(minute, tallies);
    }
    const key = `${ip}\n${action}\n${outcome}`;
    let tally = tallies.get(key);
    if (tally) return tally;
    // The overflow tallies (one per outcome at most) come on top of maxKeys, so the bound holds.
    const overflow = `${overflowKey}\n${overflowKey}\n${outcome}`;
    const regular = [...tallies.keys()].filter((k) => !k.startsWith(`${overflowKey}\n`)).length;
    if (regular >= maxKeys) {
      tally = tallies.get(overflow);
      if (tally) return tally;
      return newTally(tallies, overflow, minute, overflowKey, overflowKey, outcome);
    }
    return newTally(tallies, key, minute, ip, action, outcome);
  };

  return {
    add(entry) {
      const minute = Math.floor(now() / minuteMs);
      const tally = tallyFor(minute, entry.ip, entry.action, entry.outcome);
      tally.count++;
      bump(tally.statuses, entry.status === null ? null : String(entry.status));
      bump(tally.errors, typeof entry.details.error === 'string' ? entry.details.error : null);
      const claimed = entry.actor ?? entry.details.claimedUser;
      bump(tally.claimedUsers, typeof claimed === 'string' ? claimed : null);
      bump(tally.targets, entry.target);
      if (tally.ip === overflowKey) {
        bump(tally.addresses, entry.ip);
        bump(tally.actions, entry.action);
      }
    },
    take(all) {
      const current = Math.floor(now() / minuteMs);
      const entries: AuditEntry[] = [];
      for (const [minute, tallies] of minutes) {
        if (!all && minute >= current) continue;
        minutes.delete(minute);
        for (const tally of tallies.values()) entries.push(entryOf(tally));
      }
      return entries;
    },
    nextEnd() {
      const [oldest] = minutes.keys();
      return oldest === undefined ? undefined : (oldest + 1) * minuteMs;
    },
  };
}

function newTally(
  tallies: Map<string, Tally>,
  key: string,
  minute: number,
  ip: string,
  action: string,
  outcome: AuditOutcome,
): Tally {
  const tally: Tally = {
    minute,
    ip,
    action,
    outcome,
    count: 0,
    statuses: new Map(),
    errors: new Map(),
    claimedUsers: new Map(),
    targets: new Map(),
    addresses: new Map(),
    actions: new Map(),
  };
  tallies.set(key, tally);
  return tally;
}

/** A tally as the one row it becomes: nobody identified, the window and the counts in details. */
function entryOf(t: Tally): AuditEntry {
  const statuses = [...t.statuses.keys()];
  const details: Record<string, unknown> = {
    aggregated: true,
    count: t.count,
    from: new Date(t.minute * minuteMs).toISOString(),
    to: new Date((t.minute + 1) * minuteMs).toISOString(),
  };
  for (const [name, names] of [
    ['statuses', t.statuses],
    ['errors', t.errors],
    ['claimedUsers', t.claimedUsers],
    ['targets', t.targets],
    ['addresses', t.addresses],
    ['actions', t.actions],
  ] as const) {
    if (names.size > 0) details[name] = Object.fromEntries(names);
  }
  return {
    actor: null,
    actorRole: null,
    action: t.action,
    // One target named in every attempt is the row's target (a login tried against one account).
    target: t.targets.size === 1 ? ([...t.targets.keys()][0] ?? null) : null,
    ip: t.ip,
    outcome: t.outcome,
    status: statuses.length === 1 && statuses[0] !== otherName ? Number(statuses[0]) : null,
    details,
  };
}
