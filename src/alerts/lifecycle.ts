// The alert lifecycle: open (or count a repeat), acknowledge, resolve. Every transition is stored
// with who and when, then announced on the bus (live clients, webhooks). Operators and the engine
// both go through here, so the history is complete whoever acted.
import { AppError } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import type { AlertQueries, AlertRecord } from '../storage/alerts.ts';
import type { Rule } from './rules.ts';

export interface AlertLifecycle {
  open(input: Parameters<AlertQueries['open']>[0]): Promise<AlertRecord>;
  acknowledge(id: number, actor: string, note: string | null): Promise<AlertRecord>;
  resolve(id: number, actor: string, note: string | null): Promise<AlertRecord>;
  /** Resolves the active alert of (rule, device) if there is one (the condition cleared). */
  resolveActive(rule: Rule, deviceId: string, note: string): Promise<AlertRecord | undefined>;
}

export function createAlertLifecycle(deps: {
  queries: AlertQueries;
  bus: EventBus;
  clock: () => Date;
}): AlertLifecycle {
  const { queries, bus, clock } = deps;

  async function transition(id: number, to: 'acknowledged' | 'resolved', actor: string, note: string | null) {
    const alert = await queries.transition(id, to, actor, note, clock());
    if (!alert) {
      const current = await queries.get(id);
      if (!current) throw new AppError('NOT_FOUND', `alert ${id} does not exist`);
      throw new AppError('CONFLICT', `alert ${id} is ${current.state}; it cannot become ${to}`);
    }
    bus.emit('alert', { action: to, alert });
    return alert;
  }

  return {
    async open(input) {
      const { alert, opened } = await queries.open(input);
      if (opened) bus.emit('alert', { action: 'opened', alert });
      return alert;
    },
    acknowledge: (id, actor, note) => transition(id, 'acknowledged', actor, note),
    resolve: (id, actor, note) => transition(id, 'resolved', actor, note),
    async resolveActive(rule, deviceId, note) {
      const id = await queries.activeId(rule.id, deviceId);
      if (id === undefined) return undefined;
      const alert = await queries.transition(id, 'resolved', 'system', note, clock());
      if (alert) bus.emit('alert', { action: 'resolved', alert });
      return alert;
    },
  };
}
