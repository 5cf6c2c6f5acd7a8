// Runs a fleet of simulated devices in one process: creates each device with its own link, spreads
// first readings over the reporting interval, paces connections so a big fleet does not stampede the
// broker, keeps idle links alive, reconnects dropped ones with back-off, and stops cleanly (offline
// status, outstanding QoS 1 acknowledgements, DISCONNECT).
import type { Catalog } from '../src/catalog/index.ts';
import type { KindName } from '../src/catalog/schema.ts';
import { createClock, type SimClock } from './clock.ts';
import { type DeviceContext, type FleetStats, SimulatedDevice } from './device.ts';
import { generatedPlace } from './generatedFleet.ts';
import { initialState, type Place } from './models.ts';
import { brokerAddress, MqttLink } from './mqttLink.ts';
import { createRandom, hashString } from './random.ts';

export type { FleetStats } from './device.ts';

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
  /** Where devices stand when the catalog's fleets do not list them (generated fleets). */
  places?: ReadonlyMap<string, Place>;
  /** Total telemetry messages per second across the fleet; default: each kind's reporting interval. */
  rate?: number;
  qos: 0 | 1;
  seed: number;
  /** Simulated time; default: the real clock. */
  clock?: SimClock;
  /** Probability that a reading is lost on the radio (default 0). */
  dropRate?: number;
  /** Probability per reading that the link drops for a moment and reconnects (default 0). */
  linkDropRate?: number;
  /** Connections opened per second while starting, so a big fleet does not stampede the broker. */
  connectRate?: number;
  /** Start reporting at once instead of spreading first readings over the interval (scenarios). */
  reportAtOnce?: boolean;
}

export interface RunningFleet {
  stats: FleetStats;
  devices: ReadonlyMap<string, SimulatedDevice>;
  connected(): number;
  /** Resolves when every device has been started (not necessarily connected). */
  ready: Promise<void>;
  /** Resolves when every device is connected, or rejects after `timeoutMs`. */
  allConnected(timeoutMs?: number): Promise<void>;
  /** Stops reporting but stays connected (still answering commands). */
  pause(): void;
  stop(): Promise<void>;
}

const keepaliveS = 60;

export function fleetPlaces(catalog: Catalog): Map<string, Place> {
  const places = new Map<string, Place>();
  for (const fleet of catalog.fleets.values())
    for (const d of fleet.devices) places.set(d.id, { ...d, city: fleet.city });
  return places;
}

export function runFleet(options: FleetOptions): RunningFleet {
  const stats: FleetStats = {
    published: 0,
    readings: 0,
    acknowledged: 0,
    errors: 0,
    commands: 0,
    dropped: 0,
    reconnects: 0,
    garbage: 0,
  };
  const clock = options.clock ?? createClock(Date.now(), 1);
  const context: DeviceContext = {
    clock,
    qos: options.qos,
    stats,
    dropRate: options.dropRate ?? 0,
    linkDropRate: options.linkDropRate ?? 0,
    stopped: false,
  };
  const { host, port } = brokerAddress(options.mqttUrl);
  const devices = new Map<string, SimulatedDevice>();
  const count = options.devices.length;
  const catalogPlaces = options.places ? undefined : fleetPlaces(options.catalog);
  const places = options.places ?? catalogPlaces!;

  const cityCentre = (city: string): Place => {
    const fleet = options.catalog.fleets.get(city as never);
    return { lat: fleet?.lat ?? 11.31, lon: fleet?.lon ?? 106.1, city, ward: fleet?.wards[0]?.id ?? '' };
  };

  function intervalMs(kind: KindName): number {
    // --rate is in real messages per second; the device's interval is in simulated time.
    if (options.rate && options.rate > 0) return (count / options.rate) * 1000 * clock.speed;
    return options.catalog.kind(kind).reportingIntervalS * 1000;
  }

  function create(credentials: SimulatedDeviceCredentials, index: number) {
    const kind = credentials.kind as KindName;
    const random = createRandom(hashString(credentials.id) ^ options.seed);
    const state = initialState(
      random,
      places.get(credentials.id) ??
        generatedPlace(options.catalog, credentials.id) ??
        cityCentre(credentials.city),
    );
    const interval = intervalMs(kind);
    const device = new SimulatedDevice(
      credentials.id,
      options.catalog.kind(kind),
      credentials.topicPrefix,
      state,
      random,
      interval,
      context,
    );
    let backoffMs = 1_000;
    device.link = new MqttLink(
      {
        host,
        port,
        clientId: credentials.id,
        username: credentials.id,
        password: credentials.secret,
        will: {
          topic: `${credentials.topicPrefix}status`,
          payload: '{"online":false}',
          qos: 1,
          retain: true,
        },
        keepaliveS,
      },
      {
        connected: () => {
          backoffMs = 1_000;
          device.onConnected();
          // Like real hardware, a device reports once as soon as it is (re)connected.
          if (!context.stopped) device.report();
        },
        closed: (refused) => {
          if (refused !== undefined) stats.errors++;
          if (context.stopped || device.held) return;
          // Refused credentials are not retried eagerly; a lost link is, with growing back-off and jitter.
          const wait = refused !== undefined ? 30_000 : backoffMs * random.between(1, 1.5);
          backoffMs = Math.min(backoffMs * 2, 30_000);
          setTimeout(() => {
            if (!context.stopped && !device.held) device.link.open();
          }, wait).unref();
        },
        message: (_topic, payload) => device.onCommand(payload),
      },
    );
    devices.set(credentials.id, device);
    device.link.open();
    device.schedule(
      options.reportAtOnce ? clock.realDelay(interval) : (index / count) * clock.realDelay(interval),
    );
  }

  const connectRate = options.connectRate ?? 200;
  const ready = (async () => {
    for (let i = 0; i < count; i++) {
      if (context.stopped) return;
      create(options.devices[i]!, i);
      if ((i + 1) % connectRate === 0) await new Promise((r) => setTimeout(r, 1000));
    }
  })();

  // One timer keeps every idle link alive, instead of one per device [MQTT-3.1.2-24].
  const keepalive = setInterval(() => {
    const idle = Date.now() - (keepaliveS * 1000) / 2;
    for (const device of devices.values())
      if (device.link.connected && device.link.lastSentAt < idle) device.link.ping();
  }, 10_000);
  keepalive.unref();

  const connected = () => {
    let n = 0;
    for (const device of devices.values()) if (device.link.connected) n++;
    return n;
  };

  return {
    stats,
    devices,
    connected,
    ready,
    async allConnected(timeoutMs = 30_000) {
      await ready;
      const deadline = Date.now() + timeoutMs;
      while (connected() < count) {
        if (Date.now() > deadline) throw new Error(`${connected()} of ${count} devices connected`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    pause() {
      context.stopped = true;
      for (const device of devices.values()) device.unschedule();
    },
    async stop() {
      context.stopped = true;
      clearInterval(keepalive);
      await ready;
      const all = [...devices.values()];
      for (const device of all) device.unschedule();
      // A clean goodbye in slices: mark the device offline ourselves (the will fires only on a dropped
      // link), wait for what the broker has not acknowledged yet, then DISCONNECT.
      for (let i = 0; i < all.length; i += 500) {
        await Promise.all(all.slice(i, i + 500).map((device) => goodbye(device)));
      }
    },
  };
}

async function goodbye(device: SimulatedDevice): Promise<void> {
  const link = device.link;
  if (!link.connected) return link.close();
  await new Promise<void>((ok) =>
    link.publish(`${device.prefix}status`, '{"online":false}', 1, true, () => ok()),
  );
  const deadline = Date.now() + 5_000;
  while (link.unacknowledged > 0 && link.connected && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await link.close();
}
