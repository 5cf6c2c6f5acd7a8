// The bench's field: environment stations spread over every ward of both cities, fire sensors for
// the alarm trials, registered through the registry like any fleet (each with its own secret), and
// the load processes that speak for them.
import { type ChildProcess, fork } from 'node:child_process';
import type { RunningApp } from '../src/app.ts';
import type {
  ConsoleCommand,
  ConsoleReply,
  GeneratorCommand,
  GeneratorReply,
  NullBrokerCommand,
  NullBrokerReply,
} from './load/protocol.ts';

export interface BenchDevice {
  id: string;
  secret: string;
  topic: string;
  city: string;
  ward: string;
}

/** Ids of the bench's telemetry stations contain this; fire sensors do not. */
export const stationMarker = '-benv-';

export async function registerFleet(
  app: RunningApp,
  stations: number,
  fireSensors: number,
): Promise<{ stations: BenchDevice[]; fire: BenchDevice[]; ms: number }> {
  const started = Date.now();
  const places = (['tay-ninh', 'hoi-an'] as const).flatMap((city) =>
    app.catalog.fleets.get(city)!.wards.map((ward) => ({ city, ward })),
  );
  const register = async (count: number, kind: 'environment' | 'fire', tag: string) => {
    const fields = Array.from({ length: count }, (_, i) => {
      const place = places[i % places.length]!;
      const ward = app.catalog.fleets.get(place.city)!.wards.find((w) => w.id === place.ward.id)!;
      return {
        id: `${place.city === 'tay-ninh' ? 'tn' : 'ha'}${tag}${String(i).padStart(5, '0')}`,
        kind,
        city: place.city,
        ward: ward.id,
        lat: ward.lat + ((i % 97) - 48) * 0.0004,
        lon: ward.lon + ((i % 89) - 44) * 0.0004,
        pole: null,
        zone: null,
        name: `Bench ${kind} ${i}`,
      };
    });
    const byId = new Map(fields.map((f) => [f.id, f]));
    const devices: BenchDevice[] = [];
    // In slices, so the hashing of thousands of secrets does not hold every promise at once.
    for (let i = 0; i < fields.length; i += 1_000) {
      for (const { id, secret } of await app.registry.createMany(fields.slice(i, i + 1_000))) {
        const f = byId.get(id)!;
        devices.push({
          id,
          secret,
          city: f.city,
          ward: f.ward,
          topic: `ioc/${f.city}/${kind}/${id}/telemetry`,
        });
      }
    }
    return devices; // in registration order: consecutive devices sit in different wards
  };
  const stationList = await register(stations, 'environment', stationMarker);
  const fire = await register(fireSensors, 'fire', '-bfire-');
  return { stations: stationList, fire, ms: Date.now() - started };
}

/** A load process with a typed request/answer over IPC. */
export class LoadProcess<Command extends { type: string }, Reply extends { type: string }> {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, (reply: Reply) => void>();
  private readonly listeners = new Map<string, (reply: Reply) => void>();

  constructor(script: string) {
    this.child = fork(new URL(script, import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (reply: Reply) => {
      this.listeners.get(reply.type)?.(reply);
      const waiter = this.waiting.get(reply.type);
      this.waiting.delete(reply.type);
      waiter?.(reply);
    });
  }

  request<T extends Reply['type']>(command: Command, answer: T): Promise<Extract<Reply, { type: T }>> {
    return new Promise((ok, fail) => {
      const onExit = (code: number | null) =>
        fail(new Error(`${command.type}: load process exited (${code})`));
      this.child.once('exit', onExit);
      this.waiting.set(answer, (reply) => {
        this.child.off('exit', onExit);
        ok(reply as Extract<Reply, { type: T }>);
      });
      this.child.send(command);
    });
  }

  /** Every message of this type the process tells unasked. */
  listen<T extends Reply['type']>(type: T, listener: (reply: Extract<Reply, { type: T }>) => void): void {
    this.listeners.set(type, listener as (reply: Reply) => void);
  }

  /** A command without an answer. */
  tell(command: Command): void {
    if (this.child.connected) this.child.send(command);
  }

  close(): void {
    if (this.child.connected) this.child.send({ type: 'exit' });
    this.child.disconnect?.();
  }
}

export type Generator = LoadProcess<GeneratorCommand, GeneratorReply>;
export type Consoles = LoadProcess<ConsoleCommand, ConsoleReply>;
export const startGenerator = (): Generator => new LoadProcess('./load/generator.ts');
export const startConsoles = (): Consoles => new LoadProcess('./load/consoles.ts');
export type NullBrokerProcess = LoadProcess<NullBrokerCommand, NullBrokerReply>;
export const startNullBrokerProcess = (): NullBrokerProcess => new LoadProcess('./load/nullBroker.ts');
