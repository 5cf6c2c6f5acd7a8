// Device commands: published on the device's `cmd` topic at QoS 1 with an id, tracked from the
// device's `cmd_result` event with the same id, timed out when no answer comes. Depends on the broker
// (publish), the bus (device events) and PostgreSQL; state survives a restart. Whoever asks names their
// scope, and a device outside it is not found: nothing reaches its topic.
import { randomUUID } from 'node:crypto';
import { everywhere, inScope, type Scope } from '../auth/scope.ts';
import type { Broker } from '../broker/index.ts';
import type { KindName } from '../catalog/schema.ts';
import { AppError } from '../errors.ts';
import type { DeviceEventEvent, EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import { topicPrefix } from '../registry/fleets.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { CommandQueries, CommandRecord } from '../storage/commands.ts';
import { type CommandMessage, commandResultType, parseCommand } from './catalog.ts';

export interface Commands {
  /** `scope`: what the requester reaches (default: every area, for the IOC's own callers). */
  send(
    deviceId: string,
    name: string,
    args: unknown,
    requestedBy: string,
    scope?: Scope,
  ): Promise<CommandRecord>;
  get(deviceId: string, id: string, scope?: Scope): Promise<CommandRecord | undefined>;
  list(deviceId: string, limit: number, scope?: Scope): Promise<CommandRecord[]>;
  /** One pass of the timeout sweep (tests move the clock). */
  sweep(now?: Date): Promise<void>;
  start(): void;
  stop(): Promise<void>;
}

export function createCommands(deps: {
  queries: CommandQueries;
  broker: Broker;
  registry: DeviceRegistry;
  bus: EventBus;
  log: Logger;
  clock: () => Date;
  timeoutSeconds: number;
}): Commands {
  const { queries, broker, registry, bus, log, clock } = deps;
  let timer: NodeJS.Timeout | undefined;

  const onEvent = (event: DeviceEventEvent) => {
    if (event.type !== commandResultType || typeof event.data.id !== 'string') return;
    const state = event.data.ok === false ? 'failed' : 'succeeded';
    queries
      .complete(event.deviceId, event.data.id, state, event.data, clock())
      .catch((error) =>
        log.warn({ err: error, commandId: event.data.id }, 'could not record a command result'),
      );
  };

  function reachable(deviceId: string, scope: Scope) {
    const device = registry.get(deviceId);
    return device && inScope(scope, device) ? device : undefined;
  }

  async function sweep(now = clock()) {
    const expired = await queries.timeOut(now);
    if (expired.length > 0) log.info({ commands: expired.map((c) => c.id) }, 'commands timed out');
  }

  return {
    async send(deviceId, name, args, requestedBy, scope = everywhere) {
      const device = reachable(deviceId, scope);
      if (!device) throw new AppError('DEVICE_NOT_FOUND', `device ${deviceId} does not exist`);
      const parsed = parseCommand(device.kind as KindName, name, args);
      if (!parsed.ok) throw new AppError('VALIDATION_FAILED', parsed.message);
      const now = clock();
      const record = await queries.insert({
        id: randomUUID(),
        deviceId,
        name,
        args: parsed.args,
        requestedBy,
        requestedAt: now,
        timeoutAt: new Date(now.getTime() + deps.timeoutSeconds * 1000),
      });
      const message: CommandMessage = { id: record.id, ts: now.toISOString(), name, args: parsed.args };
      await broker.publish(`${topicPrefix(device)}cmd`, JSON.stringify(message), 1);
      return (await queries.markSent(record.id, clock())) ?? record;
    },
    get: async (deviceId, id, scope = everywhere) =>
      reachable(deviceId, scope) || scope.all ? queries.get(deviceId, id) : undefined,
    list: async (deviceId, limit, scope = everywhere) =>
      reachable(deviceId, scope) || scope.all ? queries.list(deviceId, limit) : [],
    sweep,
    start() {
      bus.on('deviceEvent', onEvent);
      timer = setInterval(
        () => void sweep().catch((e) => log.warn({ err: e }, 'command sweep failed')),
        1_000,
      );
      timer.unref();
    },
    async stop() {
      bus.off('deviceEvent', onEvent);
      if (timer) clearInterval(timer);
    },
  };
}
