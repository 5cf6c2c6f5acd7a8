// Runs simulated devices the way hardware behaves: each its own MQTT connection with its own
// credentials, a last will, a retained status, telemetry at its reporting interval, and obedience
// to `cmd` messages (set_lamp changes what the lamp reports next), answered with `cmd_result`.
import mqtt, { type MqttClient } from 'mqtt';
import type { Catalog } from '../src/catalog/index.ts';
import type { KindName } from '../src/catalog/schema.ts';
import { type DeviceState, initialState, sample } from './models.ts';
import { createRandom, hashString } from './random.ts';

export interface SimulatedDeviceCredentials {
  id: string;
  kind: string;
  city: string;
  topicPrefix: string;
  secret: string;
}

export interface FleetOptions {
  mqttUrl: string;
  devices: SimulatedDeviceCredentials[];
  catalog: Catalog;
  /** Total telemetry messages per second across the fleet; default: each kind's reporting interval. */
  rate?: number;
  qos: 0 | 1;
  seed: number;
  /** Connections opened per second while starting, so a big fleet does not stampede the broker. */
  connectRate?: number;
}

export interface FleetStats {
  published: number;
  acknowledged: number;
  errors: number;
  commands: number;
}

export interface RunningFleet {
  stats: FleetStats;
  connected(): number;
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function runFleet(options: FleetOptions): RunningFleet {
  const stats: FleetStats = { published: 0, acknowledged: 0, errors: 0, commands: 0 };
  const clients: Array<{ client: MqttClient; prefix: string }> = [];
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  const count = options.devices.length;
  const places = new Map(
    [...options.catalog.fleets.values()].flatMap((fleet) => fleet.devices.map((d) => [d.id, d] as const)),
  );
  const cityCentre = (city: string) =>
    options.catalog.fleets.get(city as never) ?? { lat: 11.31, lon: 106.1 };

  function intervalFor(kind: KindName): number {
    if (options.rate && options.rate > 0) return (count / options.rate) * 1000;
    return options.catalog.kind(kind).reportingIntervalS * 1000;
  }

  async function startDevice(device: SimulatedDeviceCredentials, index: number) {
    const kind = device.kind as KindName;
    const random = createRandom(hashString(device.id) ^ options.seed);
    const state: DeviceState = initialState(random, places.get(device.id) ?? cityCentre(device.city));
    const prefix = device.topicPrefix;
    const client = mqtt.connect(options.mqttUrl, {
      clientId: device.id,
      username: device.id,
      password: device.secret,
      clean: true,
      reconnectPeriod: 2_000,
      // A fleet connecting at once makes the broker check many secrets together: be patient.
      connectTimeout: 30_000,
      will: { topic: `${prefix}status`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true },
    });
    clients.push({ client, prefix });
    client.on('error', () => stats.errors++);
    client.on('connect', () => {
      client.publish(
        `${prefix}status`,
        JSON.stringify({
          online: true,
          battery_pct: Math.round(state.batteryPct),
          rssi_dbm: Math.round(random.between(-95, -55)),
          fw: '1.4.2',
        }),
        { qos: 1, retain: true },
      );
      client.subscribe(`${prefix}cmd`, { qos: 1 });
      // Like real hardware, a device reports once as soon as it is (re)connected.
      tick();
    });
    client.on('message', (_topic, payload) => {
      stats.commands++;
      let id: string | undefined;
      let ok = false;
      let detail = 'unknown command';
      try {
        const cmd = JSON.parse(payload.toString()) as {
          id?: string;
          name?: string;
          args?: Record<string, unknown>;
        };
        id = cmd.id;
        if (cmd.name === 'set_lamp' && kind === 'streetlight') {
          if (typeof cmd.args?.on === 'boolean') state.lampOn = cmd.args.on;
          if (typeof cmd.args?.dim_pct === 'number')
            state.dimPct = Math.min(100, Math.max(0, cmd.args.dim_pct));
          ok = true;
          detail = 'applied';
        } else if (cmd.name === 'reboot' && kind === 'camera') {
          // A reboot takes the camera off the air for a moment; it reports again on reconnect.
          ok = true;
          detail = 'rebooting';
          setTimeout(() => client.stream.destroy(), 100);
        } else if (cmd.name === 'ping') {
          ok = true;
          detail = 'pong';
        }
      } catch {
        detail = 'command is not JSON';
      }
      client.publish(
        `${prefix}event`,
        JSON.stringify({ ts: Date.now(), type: 'cmd_result', id, data: { ok, detail } }),
        { qos: 1 },
      );
    });

    const intervalMs = intervalFor(kind);
    const tick = () => {
      if (stopped || !client.connected) return;
      const now = new Date();
      const metrics = sample(kind, state, now, intervalMs / 1000, random);
      stats.published++;
      client.publish(
        `${prefix}telemetry`,
        JSON.stringify({ ts: now.getTime(), seq: stats.published, metrics }),
        { qos: options.qos },
        (error) => {
          if (error) stats.errors++;
          else stats.acknowledged++;
        },
      );
    };
    // Spread devices over the interval so the fleet does not publish in lock-step.
    const first = setTimeout(
      () => {
        tick();
        timers.push(setInterval(tick, intervalMs));
      },
      (index / count) * intervalMs,
    );
    timers.push(first);
  }

  const connectRate = options.connectRate ?? 200;
  const ready = (async () => {
    for (let i = 0; i < options.devices.length; i++) {
      if (stopped) return;
      await startDevice(options.devices[i]!, i);
      if ((i + 1) % connectRate === 0) await new Promise((r) => setTimeout(r, 1000));
    }
  })();

  return {
    stats,
    connected: () => clients.reduce((n, c) => n + (c.client.connected ? 1 : 0), 0),
    ready,
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      await Promise.all(
        clients.map(
          ({ client, prefix }) =>
            new Promise<void>((ok) => {
              // A clean goodbye: mark the device offline ourselves (the will only fires on a dropped link).
              if (!client.connected) return client.end(true, () => ok());
              client.publish(`${prefix}status`, '{"online":false}', { qos: 1, retain: true }, () =>
                client.end(false, () => ok()),
              );
            }),
        ),
      );
    },
  };
}
