// Operator consoles, in their own process: socket.io clients on /live with a real token, each with
// its own subscription. Publish → console latency is the arrival time against the reading's ts
// (stamped at publish by the generator; same machine, same clock). Every 16th entry of a batch is
// measured: the clients still decode every batch, as a browser would.
import { io, type Socket } from 'socket.io-client';
import { Histogram } from '../histogram.ts';
import type { ConsoleCommand, ConsoleReply } from './protocol.ts';

const latency = new Histogram();
let sockets: Socket[] = [];
let batches = 0;
let entries = 0;
let disconnected = 0;
let cpuBefore = process.cpuUsage();
const send = (reply: ConsoleReply) => process.send!(reply);

async function connect(url: string, token: string, subscriptions: Array<Record<string, unknown>>) {
  const started = Date.now();
  sockets = await Promise.all(
    subscriptions.map(
      (subscription) =>
        new Promise<Socket>((ok, fail) => {
          const socket = io(`${url}/live`, {
            auth: { token },
            transports: ['websocket'],
            reconnection: false,
          });
          socket.once('connect_error', fail);
          // A console that gets no snapshot ends this process, and the bench with it, with the reason.
          const timeout = setTimeout(() => fail(new Error('no snapshot within 60 s')), 60_000);
          socket.once('snapshot', () => {
            clearTimeout(timeout);
            if (Object.keys(subscription).length === 0) return ok(socket);
            socket.emit('subscribe', subscription, () => ok(socket));
          });
          socket.on('telemetry', (batch: Array<{ ts: string }>) => {
            const now = Date.now();
            batches++;
            entries += batch.length;
            for (let i = 0; i < batch.length; i += 16) latency.add(now - Date.parse(batch[i]!.ts));
          });
          socket.on('disconnect', () => disconnected++);
        }),
    ),
  );
  return Date.now() - started;
}

process.on('message', (command: ConsoleCommand) => {
  void (async () => {
    switch (command.type) {
      case 'connect': {
        const ms = await connect(command.url, command.token, command.subscriptions);
        send({ type: 'connected', connected: sockets.length, ms });
        break;
      }
      case 'reset':
        latency.reset();
        batches = 0;
        entries = 0;
        cpuBefore = process.cpuUsage();
        send({ type: 'reset' });
        break;
      case 'report': {
        const cpu = process.cpuUsage(cpuBefore);
        send({
          type: 'report',
          latency: latency.data(),
          batches,
          entries,
          disconnected,
          cpuMs: (cpu.user + cpu.system) / 1000,
        });
        break;
      }
      case 'exit':
        for (const socket of sockets) socket.disconnect();
        process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
