// Working an alert, beside its lifecycle: assigning it to someone, notes, and acknowledging many at
// once in a storm. Each change is stored with its history entry, then announced on the bus like a
// transition, so consoles and webhooks see it and its timeline is complete. Callers check that the
// actor reaches the alert (src/auth/scope.ts); an alert is given only to someone who reaches it too.
import { inScope, type Scope, type ScopedPlace, scopeFrom, scopeIds } from '../auth/scope.ts';
import { AppError } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import type { AlertRecord, AlertState } from '../storage/alerts.ts';
import type { AlertNote, AlertSelection, AlertWorkQueries, Refusal } from '../storage/alertWork.ts';
import type { UserQueries } from '../storage/users.ts';

/** At most this many alerts per bulk acknowledgement; the answer says how many still match. */
export const maxBulkAcknowledge = 1_000;

export interface BulkFailure {
  id: number;
  code: 'NOT_FOUND' | 'CONFLICT';
  /** Its state now, when it exists. */
  state: AlertState | null;
  message: { vi: string; en: string };
}

export interface AlertWorkflow {
  /**
   * Gives the alert to `assignee` (an enabled operator or admin whose scope reaches `place`, the
   * alert's); to the actor when they take it.
   */
  assign(
    id: number,
    assignee: string,
    actor: string,
    note: string | null,
    place?: ScopedPlace,
  ): Promise<AlertRecord>;
  unassign(id: number, actor: string, note: string | null): Promise<AlertRecord>;
  addNote(id: number, author: string, text: string): Promise<{ alert: AlertRecord; note: AlertNote }>;
  acknowledgeMany(input: {
    ids?: readonly number[];
    selection?: AlertSelection;
    actor: string;
    note: string | null;
    /** The actor's: alerts outside it are neither acknowledged nor said to exist. */
    scope?: Scope;
  }): Promise<{ acknowledged: AlertRecord[]; failed: BulkFailure[]; remaining: number }>;
}

const stateNames: Record<AlertState, { vi: string; en: string }> = {
  open: { vi: 'đang mở', en: 'open' },
  acknowledged: { vi: 'đã được xác nhận', en: 'acknowledged' },
  resolved: { vi: 'đã đóng', en: 'resolved' },
};

function failure(id: number, refusal: Refusal): BulkFailure {
  if (refusal.reason === 'state') {
    const name = stateNames[refusal.state];
    return {
      id,
      code: 'CONFLICT',
      state: refusal.state,
      message: { vi: `Cảnh báo ${id} ${name.vi}.`, en: `Alert ${id} is ${name.en}.` },
    };
  }
  return {
    id,
    code: 'NOT_FOUND',
    state: null,
    message: { vi: `Không có cảnh báo ${id}.`, en: `Alert ${id} does not exist.` },
  };
}

function refuse(id: number, refusal: Refusal, doing: string): never {
  if (refusal.reason === 'not-found') throw new AppError('NOT_FOUND', `alert ${id} does not exist`);
  if (refusal.reason === 'not-assigned')
    throw new AppError('CONFLICT', `alert ${id} is not assigned to anyone; there is nobody to unassign`);
  throw new AppError('CONFLICT', `alert ${id} is ${refusal.state}; it cannot be ${doing}`);
}

export function createAlertWorkflow(deps: {
  queries: AlertWorkQueries;
  users: Pick<UserQueries, 'byUsername'>;
  bus: EventBus;
  clock: () => Date;
}): AlertWorkflow {
  const { queries, users, bus, clock } = deps;

  return {
    async assign(id, assignee, actor, note, place) {
      const user = await users.byUsername(assignee);
      if (!user || user.disabled || (user.role !== 'operator' && user.role !== 'admin')) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${assignee} cannot be given alerts: name an enabled operator or admin account`,
        );
      }
      if (place && !inScope(scopeFrom(user.scope), place)) {
        throw new AppError(
          'VALIDATION_FAILED',
          `${assignee} cannot be given this alert: their scope does not reach ${place.ward ?? place.city}`,
        );
      }
      const result = await queries.assign({ id, assignee, actor, note, at: clock() });
      if ('reason' in result) refuse(id, result, 'assigned');
      if (result.changed) bus.emit('alert', { action: 'assigned', alert: result.alert });
      return result.alert;
    },

    async unassign(id, actor, note) {
      const result = await queries.unassign({ id, actor, note, at: clock() });
      if ('reason' in result) refuse(id, result, 'unassigned');
      bus.emit('alert', { action: 'unassigned', alert: result.alert });
      return result.alert;
    },

    async addNote(id, author, text) {
      const result = await queries.addNote({ id, author, text, at: clock() });
      if ('reason' in result) refuse(id, result, 'noted');
      bus.emit('alert', { action: 'noted', alert: result.alert, note: result.note });
      return result;
    },

    async acknowledgeMany({ ids, selection, actor, note, scope }) {
      const unique = ids && [...new Set(ids)];
      const reach = scope ? scopeIds(scope) : null;
      const acknowledged = await queries.acknowledgeMany({
        ids: unique,
        selection,
        actor,
        note,
        at: clock(),
        limit: maxBulkAcknowledge,
        scope: reach,
      });
      // Each one as if acknowledged alone: consoles, webhooks and notifications need no bulk event.
      for (const alert of acknowledged) bus.emit('alert', { action: 'acknowledged', alert });
      const done = new Set(acknowledged.map((a) => a.id));
      const missed = (unique ?? []).filter((id) => !done.has(id));
      const refusals = missed.length > 0 ? await queries.refusals(missed, reach) : new Map<number, Refusal>();
      return {
        acknowledged,
        failed: missed.map((id) => failure(id, refusals.get(id) ?? { reason: 'not-found' })),
        remaining: selection ? await queries.countOpen(selection, reach) : 0,
      };
    },
  };
}
