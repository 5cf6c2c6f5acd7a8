// The broker-alone ceiling in its own process (bench/ceilings.ts's null broker), so that it can stay
// connected to its own copy of the fleet for the whole run and be measured just before and just after
// each step, while the system's process holds its own connections: neither's memory counts in the
// other's RSS, and its CPU is the broker's alone. Driven over IPC by bench/run.ts.
import { startNullBroker } from '../ceilings.ts';
import type { NullBrokerCommand, NullBrokerReply } from './protocol.ts';

const broker = await startNullBroker();
const send = (reply: NullBrokerReply) => process.send!(reply);
let cpuBefore = process.cpuUsage();
let credit: NodeJS.Timeout | undefined;

process.on('message', (command: NullBrokerCommand) => {
  switch (command.type) {
    case 'listen':
      send({ type: 'listening', port: broker.port });
      break;
    case 'start':
      broker.reset();
      cpuBefore = process.cpuUsage();
      credit = setInterval(() => send({ type: 'delivered', delivered: broker.delivered() }), 50);
      send({ type: 'started' });
      break;
    case 'stop': {
      clearInterval(credit);
      const cpu = process.cpuUsage(cpuBefore);
      send({
        type: 'stopped',
        delivered: broker.delivered(),
        lastDeliveredAt: broker.lastDeliveredAt(),
        cpuMs: (cpu.user + cpu.system) / 1000,
      });
      break;
    }
    case 'exit':
      void broker.close().finally(() => process.exit(0));
  }
});
