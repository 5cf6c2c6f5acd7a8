// The load generator, in its own process (the field, not the system): one MQTT connection per device
// with that device's own credentials, telemetry at an offered rate (or as fast as the system takes
// it), each message stamped with its publish time so the system side can measure publish → stored
// and publish → console. Driven over IPC by bench/run.ts; see bench/load/protocol.ts.
import type { Socket } from 'node:net';
import { Histogram } from '../histogram.ts';
import { connectPacket, openConnection, publishPacket } from './mqttWire.ts';
import type { GeneratorCommand, GeneratorReply, RunStats } from './protocol.ts';

interface Device {
  id: string;
  topic: Buffer;
  socket: Socket;
  connected: boolean;
  inflight: number;
  nextPacketId: number;
  sentAt: Map<number, number>;
  seq: number;
  lastTs: number;
}

// Environment metrics a bench message carries: always pm25 (so stored messages can be counted as
// pm25 rows), then 1 to 5 more, 2–6 in all, values well inside the catalog's plausible ranges.
const metricNames = ['pm25', 'pm10', 'no2', 'temp_c', 'humidity_pct', 'o3'];
const metricsIn = (seq: number) => 2 + (seq % 5);

function telemetryPayload(ts: number, seq: number): string {
  const count = metricsIn(seq);
  let metrics = '';
  for (let i = 0; i < count; i++) {
    metrics += `${i > 0 ? ',' : ''}"${metricNames[i]}":${10 + ((seq * (i + 3)) % 40) + i}.5`;
  }
  return `{"ts":${ts},"seq":${seq},"metrics":{${metrics}}}`;
}

let devices: Device[] = [];
// Messages the system has stored in this run, as bench/run.ts last told us (see `cap` in run()).
let stored = 0;
const send = (reply: GeneratorReply) => process.send!(reply);

async function connectAll(
  url: string,
  list: Array<{ id: string; secret: string; topic: string }>,
  parallel: number,
): Promise<{ connected: number; refused: number; ms: number }> {
  const { hostname, port } = new URL(url);
  const started = Date.now();
  let refused = 0;
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const entry = list[next++]!;
      const device = await new Promise<Device | undefined>((ok) => {
        const timeout = setTimeout(() => ok(undefined), 120_000);
        const d: Device = {
          id: entry.id,
          topic: Buffer.from(entry.topic),
          socket: undefined as unknown as Socket,
          connected: false,
          inflight: 0,
          nextPacketId: 1,
          sentAt: new Map(),
          seq: 0,
          lastTs: 0,
        };
        d.socket = openConnection(hostname, Number(port), connectPacket(entry.id, entry.id, entry.secret), {
          onConnack(code) {
            clearTimeout(timeout);
            d.connected = code === 0;
            ok(code === 0 ? d : undefined);
          },
          onPuback(packetId) {
            const at = d.sentAt.get(packetId);
            if (at === undefined) return;
            d.sentAt.delete(packetId);
            d.inflight--;
            stats.acked++;
            ackLatency.add(Date.now() - at);
          },
          onClose() {
            if (d.connected) stats.disconnected++;
            d.connected = false;
            clearTimeout(timeout);
            ok(undefined);
          },
        });
      });
      if (device) devices.push(device);
      else refused++;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { connected: devices.length, refused, ms: Date.now() - started };
}

const ackLatency = new Histogram();
let stats: Omit<RunStats, 'ackLatency' | 'cpuMs'> = emptyStats();
function emptyStats() {
  return {
    published: 0,
    rows: 0,
    acked: 0,
    unacked: 0,
    disconnected: 0,
    startedAt: 0,
    endedAt: 0,
    flushedAt: 0,
  };
}

function publish(device: Device, qos: 0 | 1, now: number): void {
  device.seq++;
  const ts = Math.max(now, device.lastTs + 1);
  device.lastTs = ts;
  let packetId = 0;
  if (qos === 1) {
    packetId = device.nextPacketId;
    device.nextPacketId = packetId === 65_535 ? 1 : packetId + 1;
    device.sentAt.set(packetId, now);
    device.inflight++;
  }
  device.socket.write(publishPacket(device.topic, telemetryPayload(ts, device.seq), qos, packetId));
  stats.published++;
  stats.rows += metricsIn(device.seq);
}

/** Offers `rate` messages/s (0: as many as the system takes) for `seconds`, round-robin over devices. */
async function run(command: Extract<GeneratorCommand, { type: 'run' }>): Promise<RunStats> {
  const { qos, rate, seconds, window, cap } = command;
  stats = emptyStats();
  stored = 0;
  ackLatency.reset();
  const cpuBefore = process.cpuUsage();
  const startedAt = Date.now();
  stats.startedAt = startedAt;
  const endAt = startedAt + seconds * 1000;
  // QoS 0 has no acknowledgement: a device holds back while its socket has this much unsent.
  const socketCap = 4_096;
  let cursor = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const now = Date.now();
      if (now >= endAt || devices.length === 0) return done();
      let due = rate > 0 ? Math.floor(((now - startedAt) / 1000) * rate) - stats.published : 5_000;
      // Past the knee the deficit would only grow: offer at most a second's worth in one go.
      if (rate > 0) due = Math.min(due, rate);
      // QoS 0 has no acknowledgement, and the kernel's socket buffers would take minutes of
      // messages: stay within `cap` messages of what the system has stored, so a step measures the
      // system's capacity rather than the depth of those buffers.
      due = Math.min(due, cap - (stats.published - stored));
      let blockedInARow = 0;
      while (due > 0 && blockedInARow < devices.length) {
        const device = devices[cursor]!;
        cursor = cursor + 1 === devices.length ? 0 : cursor + 1;
        const blocked =
          !device.connected ||
          (qos === 1 ? device.inflight >= window : device.socket.writableLength > socketCap);
        if (blocked) {
          blockedInARow++;
          continue;
        }
        blockedInARow = 0;
        publish(device, qos, now);
        due--;
      }
      if (rate > 0 || due <= 0 || blockedInARow >= devices.length) setTimeout(tick, rate > 0 ? 2 : 1);
      else setImmediate(tick);
    };
    tick();
  });
  stats.endedAt = Date.now();
  // Everything written must leave this process, and (QoS 1) be acknowledged, before the system side
  // counts what it stored.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const unsent = devices.some((d) => d.connected && d.socket.writableLength > 0);
    const unacked = qos === 1 && devices.some((d) => d.connected && d.inflight > 0);
    if (!unsent && !unacked) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  stats.flushedAt = Date.now();
  stats.unacked = qos === 1 ? devices.reduce((n, d) => n + d.inflight, 0) : 0;
  const cpu = process.cpuUsage(cpuBefore);
  return { ...stats, ackLatency: ackLatency.data(), cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** Fire sensors: one alarm per device, `intervalMs` apart, at QoS 1; reports when each left. */
async function alarms(count: number, intervalMs: number): Promise<Record<string, number>> {
  const sentAt: Record<string, number> = {};
  for (const device of devices.slice(0, count)) {
    if (!device.connected) continue;
    const now = Date.now();
    sentAt[device.id] = now;
    device.sentAt.set(device.nextPacketId, now);
    device.inflight++;
    const payload = `{"ts":${now},"metrics":{"alarm":1,"smoke_pct":15,"temp_c":41}}`;
    device.socket.write(publishPacket(device.topic, payload, 1, device.nextPacketId++));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  devices = devices.slice(count); // a sensor in alarm stays in alarm; the next trials use fresh ones
  return sentAt;
}

process.on('message', (command: GeneratorCommand) => {
  void (async () => {
    switch (command.type) {
      case 'connect': {
        const result = await connectAll(command.url, command.devices, command.parallel ?? 100);
        send({ type: 'connected', ...result });
        break;
      }
      case 'run':
        send({ type: 'ran', stats: await run(command) });
        break;
      case 'alarms':
        send({ type: 'alarmed', sentAt: await alarms(command.count, command.intervalMs) });
        break;
      case 'disconnect': {
        await Promise.all(
          devices.map(
            (d) =>
              new Promise<void>((ok) => {
                if (d.socket.destroyed) return ok();
                d.connected = false;
                d.socket.once('close', () => ok());
                d.socket.end(Buffer.from([0xe0, 0])); // DISCONNECT [MQTT-3.14]
              }),
          ),
        );
        devices = [];
        send({ type: 'disconnected' });
        break;
      }
      case 'stored':
        stored = command.messages;
        break;
      case 'exit':
        process.exit(0);
    }
  })();
});
process.on('disconnect', () => process.exit(0));
