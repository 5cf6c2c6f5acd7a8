// What ingest keeps as dead letters, and under whose fault. A device's own mistakes keep the reason
// parsing or the topic checks gave; our own failures (a write the database or the journal could not
// store, an exception anywhere on the way) are STORAGE_FAILED or INTERNAL_ERROR, logged with their
// error, so no device owner is sent to fix what is the IOC's. Logs are bounded: a bug that fails
// every message logs one line every few seconds with the count of the others, not one per message.
import type { DeadLetterReason } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { DeadLetterSink } from './deadLetters.ts';
import type { InboundMessage } from './index.ts';
import type { Refusal } from './payloads.ts';

export interface Refusals {
  refuse(message: InboundMessage, reason: DeadLetterReason, text: string, deviceId?: string): void;
  /** What parsing refused of a message, item by item. */
  refuseAll(message: InboundMessage, refusals: readonly Refusal[], deviceId: string): void;
  /** A write of the message was not stored (the database refused its rows, the journal failed). */
  storageFailed(message: InboundMessage, deviceId: string, error: unknown): void;
  /** An exception of ours while handling the message. Returns false: nothing of it was stored. */
  internalError(message: InboundMessage, error: unknown): false;
}

const logEveryMs = 5_000;
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Logs the first failure at once, then at most one every logEveryMs with how many were not logged. */
function boundedErrorLog(log: Logger, what: string) {
  let last = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return (message: InboundMessage, deviceId: string | null, error: unknown) => {
    const now = Date.now();
    if (now - last < logEveryMs) {
      unlogged++;
      return;
    }
    log.error({ err: error, deviceId, topic: message.topic, alsoFailedSinceLastLog: unlogged }, what);
    last = now;
    unlogged = 0;
  };
}

export function createRefusals(deps: { deadLetters: DeadLetterSink; log: Logger }): Refusals {
  const { deadLetters, log } = deps;
  const logStorageFailure = boundedErrorLog(
    log,
    'a message could not be stored: kept as a dead letter (STORAGE_FAILED), the fault is ours',
  );
  const logInternalError = boundedErrorLog(
    log,
    'ingest failed on a message: kept as a dead letter (INTERNAL_ERROR), the fault is ours',
  );

  function refuse(message: InboundMessage, reason: DeadLetterReason, text: string, deviceId?: string) {
    deadLetters.add({
      deviceId: deviceId ?? message.senderId,
      topic: message.topic,
      reason,
      message: text,
      payload: message.payload,
      receivedAt: message.receivedAt,
    });
  }

  return {
    refuse,
    refuseAll(message, refusals, deviceId) {
      for (const r of refusals) {
        refuse(
          message,
          r.reason,
          r.item === undefined ? r.message : `item ${r.item}: ${r.message}`,
          deviceId,
        );
      }
    },
    storageFailed(message, deviceId, error) {
      logStorageFailure(message, deviceId, error);
      refuse(
        message,
        'STORAGE_FAILED',
        `the IOC could not store this message (${describe(error)}); not the device's fault`,
        deviceId,
      );
    },
    internalError(message, error) {
      // A bug in ingest must not take the broker down; keep the message and say whose fault it is.
      logInternalError(message, message.senderId, error);
      refuse(
        message,
        'INTERNAL_ERROR',
        `the IOC failed while handling this message (${describe(error)}); not the device's fault`,
      );
      return false;
    },
  };
}
