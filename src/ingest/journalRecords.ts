// A write as a journal record: JSON, dates as ISO strings, decoded back to the same write.
import type { WriteRequest } from './batch.ts';
import type { DeadLetterInput } from './deadLetters.ts';

export function encodeRequest(request: WriteRequest): Buffer {
  // Without the metrics' JSON text, which would store them twice: decoding has the object.
  const t = request.telemetry;
  if (t?.json !== undefined)
    return Buffer.from(
      JSON.stringify({ ...request, telemetry: { time: t.time, deviceId: t.deviceId, metrics: t.metrics } }),
    );
  return Buffer.from(JSON.stringify(request));
}

export function decodeRequest(record: Buffer): WriteRequest {
  const r = JSON.parse(record.toString('utf8')) as WriteRequest;
  if (r.telemetry) r.telemetry.time = new Date(r.telemetry.time);
  if (r.status) r.status.time = new Date(r.status.time);
  if (r.event) {
    r.event.time = new Date(r.event.time);
    r.event.receivedAt = new Date(r.event.receivedAt);
  }
  return r;
}

/**
 * A replayed record the database refused, as a dead letter: its device, the record itself as the
 * payload and the database's reason. STORAGE_FAILED: the device's message was acknowledged, the fault
 * is ours.
 */
export function refusedRecordLetter(request: WriteRequest, error: unknown): DeadLetterInput {
  const row = request.telemetry ?? request.status ?? request.event;
  const reason = error instanceof Error ? error.message : String(error);
  return {
    deviceId: row?.deviceId ?? null,
    topic: '(journal replay)',
    reason: 'STORAGE_FAILED',
    message: `the database refused this journal record on replay (${reason}); it was acknowledged to the device, the fault is ours`,
    payload: encodeRequest(request),
    receivedAt: request.event?.receivedAt ?? new Date(),
  };
}
