// Typed queries for working an alert: assigning it, notes, and acknowledging many at once. Each change
// and its history entry are written together, so the timeline never misses or invents a step.
import { type AlertRecord, type AlertState, alertColumns, alertSource } from './alerts.ts';
import { inTransaction, type Pool, type PoolClient } from './pool.ts';
import { scopeClause } from './scope.ts';

export interface AlertNote {
  at: Date;
  author: string;
  text: string;
}

/** Which open alerts a bulk acknowledgement takes, when it does not name them. */
export interface AlertSelection {
  city?: string;
  ward?: string;
  kind?: string;
  severity?: string;
}

/** Area and unit ids a bulk acknowledgement is limited to (src/auth/scope.ts); null: every area. */
type ScopeIds = readonly string[] | null;

/** Why an alert was not changed: it does not exist, or its state or assignment does not allow it. */
export type Refusal =
  | { reason: 'not-found' }
  | { reason: 'state'; state: AlertState }
  | { reason: 'not-assigned' };

type Changed = { alert: AlertRecord; changed: boolean };

async function lockAlert(client: PoolClient, id: number) {
  const { rows } = await client.query<{ state: AlertState; assignee: string | null }>(
    `SELECT a.state, s.assignee FROM alerts a LEFT JOIN alert_assignments s ON s.alert_id = a.id
      WHERE a.id = $1 FOR UPDATE OF a`,
    [id],
  );
  return rows[0];
}

async function read(client: PoolClient, id: number): Promise<AlertRecord> {
  const { rows } = await client.query<AlertRecord>(
    `SELECT ${alertColumns} FROM ${alertSource} WHERE a.id = $1`,
    [id],
  );
  return rows[0]!;
}

const history = (
  client: PoolClient,
  entry: { id: number; at: Date; action: string; actor: string; note: string | null; assignee?: string },
) =>
  client.query(
    'INSERT INTO alert_history (alert_id, at, action, actor, note, assignee) VALUES ($1, $2, $3, $4, $5, $6)',
    [entry.id, entry.at, entry.action, entry.actor, entry.note, entry.assignee ?? null],
  );

export function createAlertWorkQueries(pool: Pool) {
  return {
    /**
     * Gives an unresolved alert to `assignee` (taking it from whoever had it). Giving it to whoever
     * has it already changes nothing and writes no history.
     */
    assign(input: {
      id: number;
      assignee: string;
      actor: string;
      note: string | null;
      at: Date;
    }): Promise<Changed | Refusal> {
      return inTransaction(pool, async (client) => {
        const current = await lockAlert(client, input.id);
        if (!current) return { reason: 'not-found' } as const;
        if (current.state === 'resolved') return { reason: 'state', state: current.state } as const;
        if (current.assignee === input.assignee)
          return { alert: await read(client, input.id), changed: false };
        await client.query(
          `INSERT INTO alert_assignments (alert_id, assignee, assigned_by, assigned_at) VALUES ($1, $2, $3, $4)
           ON CONFLICT (alert_id) DO UPDATE
             SET assignee = excluded.assignee, assigned_by = excluded.assigned_by, assigned_at = excluded.assigned_at`,
          [input.id, input.assignee, input.actor, input.at],
        );
        await history(client, { ...input, action: 'assigned' });
        return { alert: await read(client, input.id), changed: true };
      });
    },

    /** Takes an unresolved alert from its assignee; the history keeps whom it was taken from. */
    unassign(input: {
      id: number;
      actor: string;
      note: string | null;
      at: Date;
    }): Promise<Changed | Refusal> {
      return inTransaction(pool, async (client) => {
        const current = await lockAlert(client, input.id);
        if (!current) return { reason: 'not-found' } as const;
        if (current.state === 'resolved') return { reason: 'state', state: current.state } as const;
        if (current.assignee === null) return { reason: 'not-assigned' } as const;
        await client.query('DELETE FROM alert_assignments WHERE alert_id = $1', [input.id]);
        await history(client, { ...input, action: 'unassigned', assignee: current.assignee });
        return { alert: await read(client, input.id), changed: true };
      });
    },

    /** A note on an alert in any state (what was found after it was resolved belongs to it too). */
    addNote(input: {
      id: number;
      author: string;
      text: string;
      at: Date;
    }): Promise<{ alert: AlertRecord; note: AlertNote } | Refusal> {
      return inTransaction(pool, async (client) => {
        if (!(await lockAlert(client, input.id))) return { reason: 'not-found' } as const;
        await history(client, {
          id: input.id,
          at: input.at,
          action: 'noted',
          actor: input.author,
          note: input.text,
        });
        return {
          alert: await read(client, input.id),
          note: { at: input.at, author: input.author, text: input.text },
        };
      });
    },

    /**
     * Acknowledges, in one statement, the open alerts named by `ids` or matching `selection` (at most
     * `limit`, oldest first): all of them or, if the statement fails, none. Alerts already acknowledged
     * or resolved by then are left out, and the caller asks `refusals` why.
     */
    async acknowledgeMany(input: {
      ids?: readonly number[];
      selection?: AlertSelection;
      actor: string;
      note: string | null;
      at: Date;
      limit: number;
      scope?: ScopeIds;
    }): Promise<AlertRecord[]> {
      const { where, params } = matching(input.ids, input.selection, 5, input.scope ?? null);
      const { rows } = await pool.query<AlertRecord>(
        `WITH a AS (
           UPDATE alerts SET state = 'acknowledged', acknowledged_at = $1, acknowledged_by = $2
            WHERE state = 'open' AND id IN (
              SELECT id FROM alerts WHERE state = 'open' AND ${where} ORDER BY id LIMIT $4)
           RETURNING *
         ), history AS (
           INSERT INTO alert_history (alert_id, at, action, actor, note)
           SELECT id, $1, 'acknowledged', $2, $3 FROM a
         )
         SELECT ${alertColumns} FROM a JOIN alert_rules r ON r.id = a.rule_id
           LEFT JOIN alert_assignments s ON s.alert_id = a.id
         ORDER BY a.id`,
        [input.at, input.actor, input.note, input.limit, ...params],
      );
      return rows;
    },

    /** Open alerts still matching `selection` (beyond a bulk acknowledgement's limit, or new since). */
    async countOpen(selection: AlertSelection, scope: ScopeIds = null): Promise<number> {
      const { where, params } = matching(undefined, selection, 1, scope);
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM alerts WHERE state = 'open' AND ${where}`,
        params,
      );
      return rows[0]!.n;
    },

    /** Why each of `ids` is not open: it does not exist (or not within `scope`), or its state now. */
    async refusals(ids: readonly number[], scope: ScopeIds = null): Promise<Map<number, Refusal>> {
      const { rows } = await pool.query<{ id: number; state: AlertState }>(
        `SELECT id::int, state FROM alerts WHERE id = ANY($1::bigint[]) AND ${scopeClause('$2')}`,
        [ids, scope],
      );
      const states = new Map(rows.map((r) => [r.id, r.state]));
      return new Map(
        ids.map((id) => {
          const state = states.get(id);
          return [id, state === undefined ? { reason: 'not-found' } : { reason: 'state', state }];
        }),
      );
    },
  };
}

/** The WHERE of a bulk acknowledgement's alerts, its parameters numbered from `first`. */
function matching(
  ids: readonly number[] | undefined,
  selection: AlertSelection | undefined,
  first: number,
  scope: ScopeIds,
) {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${first + params.length - 1}`));
  };
  if (ids) add('id = ANY(?::bigint[])', ids);
  if (selection?.city) add('city = ?', selection.city);
  if (selection?.ward) add('ward = ?', selection.ward);
  if (selection?.kind) add('kind = ?', selection.kind);
  if (selection?.severity) add('severity = ?', selection.severity);
  // Callers always name ids or at least one field; "everything" is never meant by an empty filter.
  if (where.length === 0) throw new Error('a bulk acknowledgement names ids or a filter');
  if (scope) {
    params.push(scope);
    where.push(scopeClause(`$${first + params.length - 1}`));
  }
  return { where: where.join(' AND '), params };
}

export type AlertWorkQueries = ReturnType<typeof createAlertWorkQueries>;
