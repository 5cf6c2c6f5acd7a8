// The embedded broker's thread, from outside: a test makes it fail as an uncaught error in it would,
// through the inspector protocol (bench/threadInspector.ts), so the broker has no method for it.
import { inspectThread } from '../../bench/threadInspector.ts';
import { brokerThreadName } from '../../src/broker/index.ts';

/** Throws an uncaught error on the broker's thread (the last one started in this process). */
export async function crashBrokerThread(): Promise<void> {
  const thread = await inspectThread(brokerThreadName);
  try {
    // Thrown on the thread's next turn, outside any handler: the thread ends with it.
    await thread.post('Runtime.evaluate', {
      expression: "setImmediate(() => { throw new Error('broker thread crash (test)'); })",
    });
  } finally {
    thread.detach();
  }
}
