// A batch: accepted writes that go to the database in one round of statements, and the one answer
// every write in it is given (stored, moved to the journal, or refused).
import {
  type EventRow,
  type StatusRow,
  TelemetryBatchBuilder,
  type TelemetryMessage,
} from '../storage/telemetry.ts';

export interface WriteRequest {
  telemetry?: TelemetryMessage;
  status?: StatusRow;
  event?: EventRow;
}

export interface Batch {
  /** The writes themselves, kept to move the batch to the journal should the database fail it. */
  requests: WriteRequest[];
  telemetry: TelemetryBatchBuilder;
  statuses: StatusRow[];
  events: EventRow[];
  size: number;
  /** What every write in the batch is answered with: one promise per batch, not one per write. */
  answer?: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void };
}

export const emptyBatch = (): Batch => ({
  requests: [],
  telemetry: new TelemetryBatchBuilder(),
  statuses: [],
  events: [],
  size: 0,
});

/** Adds a write to the batch; returns the rows it adds. */
export function addToBatch(batch: Batch, request: WriteRequest): number {
  let rows = 0;
  batch.requests.push(request);
  if (request.telemetry) rows += batch.telemetry.add(request.telemetry);
  if (request.status) {
    batch.statuses.push(request.status);
    rows++;
  }
  if (request.event) {
    batch.events.push(request.event);
    rows++;
  }
  batch.size += rows;
  return rows;
}

export function batchOf(requests: readonly WriteRequest[]): Batch {
  const batch = emptyBatch();
  for (const request of requests) addToBatch(batch, request);
  return batch;
}

/** The promise the batch's writes resolve with, made when its first write asks for it. */
export function answerOf(batch: Batch): Promise<void> {
  if (!batch.answer) {
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((ok, fail) => {
      resolve = ok;
      reject = fail;
    });
    batch.answer = { promise, resolve, reject };
  }
  return batch.answer.promise;
}
