// The opaque cursor of incremental feed reads. It carries the database snapshot of the last read
// (what the client has seen all of), the snapshot being paged through and the position in it when a
// page was full, and a fingerprint of the filters, so a cursor is only ever continued by the query
// that made it. Base64url JSON: opaque to clients, readable in a log.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.ts';

/** pg_snapshot text: xmin:xmax:xip,xip,… */
const Snapshot = z.string().regex(/^\d+:\d+:[\d,]*$/);

const CursorState = z.object({
  v: z.literal(2),
  feed: z.enum(['indicators', 'aggregates', 'alerts']),
  /** Fingerprint of the filters the read was started with. */
  f: z.string(),
  /** The snapshot of the read whose results the client has; unset: nothing yet. */
  since: Snapshot.optional(),
  /** Set while paging through one window; unset, the next read takes a new snapshot. */
  until: Snapshot.optional(),
  after: z.array(z.union([z.string(), z.number()])).optional(),
});
export type CursorState = z.infer<typeof CursorState>;

export function fingerprint(filters: Record<string, unknown>): string {
  const stable = JSON.stringify(
    Object.entries(filters)
      .filter(([, v]) => v !== undefined)
      .sort(),
  );
  return createHash('sha256').update(stable).digest('base64url').slice(0, 16);
}

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeCursor(
  text: string,
  feed: CursorState['feed'],
  filters: Record<string, unknown>,
): CursorState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = CursorState.safeParse(parsed);
  if (!result.success || result.data.feed !== feed) {
    throw new AppError(
      'VALIDATION_FAILED',
      `this is not a cursor of /feeds/${feed}: pass back the cursor it returned`,
    );
  }
  if (result.data.f !== fingerprint(filters)) {
    throw new AppError(
      'VALIDATION_FAILED',
      'the cursor was made with other filters: repeat the filters of the read that returned it, or start again without a cursor',
    );
  }
  return result.data;
}
