// The inspector protocol of one of this process's worker threads, reached from the main thread
// (the NodeWorker domain, as DevTools reaches a worker): the benchmark profiles the broker's thread
// and tests make it fail as an uncaught error would, without either being a method of the broker
// or a message its thread answers.
import { Session } from 'node:inspector/promises';

export interface ThreadInspector {
  /** Sends one inspector command to the thread and answers with its result. */
  post<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  detach(): void;
}

interface AttachedToWorker {
  sessionId: string;
  workerInfo: { workerId: string; title: string };
}

/**
 * Attaches to the running worker thread started with `name` (Worker's `name` option). With several
 * of that name, the one started last.
 */
export async function inspectThread(name: string): Promise<ThreadInspector> {
  const session = new Session();
  session.connect();
  const workers: AttachedToWorker[] = [];
  session.on('NodeWorker.attachedToWorker', (message) => workers.push(message.params as AttachedToWorker));
  // Enabling reports every running worker before it answers.
  await session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  const found = workers.filter((w) => w.workerInfo.title.endsWith(`] ${name}`)).at(-1);
  if (!found) {
    session.disconnect();
    throw new Error(
      `no worker thread named ${name} is running (found: ${workers.map((w) => w.workerInfo.title).join(', ') || 'none'})`,
    );
  }
  let nextId = 1;
  const waiting = new Map<number, { ok: (value: unknown) => void; fail: (error: Error) => void }>();
  session.on('NodeWorker.receivedMessageFromWorker', (message) => {
    const { sessionId, message: text } = message.params as { sessionId: string; message: string };
    if (sessionId !== found.sessionId) return;
    const answer = JSON.parse(text) as { id?: number; result?: unknown; error?: { message: string } };
    const reply = answer.id === undefined ? undefined : waiting.get(answer.id);
    if (!reply) return; // an event of the thread's, not an answer
    waiting.delete(answer.id!);
    if (answer.error) reply.fail(new Error(answer.error.message));
    else reply.ok(answer.result);
  });
  session.on('NodeWorker.detachedFromWorker', (message) => {
    if ((message.params as { sessionId: string }).sessionId !== found.sessionId) return;
    for (const reply of waiting.values()) reply.fail(new Error(`the thread ${name} ended`));
    waiting.clear();
  });
  return {
    post<T>(method: string, params: Record<string, unknown> = {}) {
      const id = nextId++;
      return new Promise<T>((ok, fail) => {
        waiting.set(id, { ok: ok as (value: unknown) => void, fail });
        session
          .post('NodeWorker.sendMessageToWorker', {
            sessionId: found.sessionId,
            message: JSON.stringify({ id, method, params }),
          })
          .catch((error: Error) => {
            waiting.delete(id);
            fail(error);
          });
      });
    },
    detach() {
      session.disconnect();
    },
  };
}
