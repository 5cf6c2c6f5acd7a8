// Keeps the in-memory caches of several instances on one PostgreSQL coherent: a device created,
// changed, rotated or deleted on one instance, or a rule, a place or a device profile edited there, is
// announced with NOTIFY, and every other instance re-reads it and tells its own areas on its bus, as if
// the change had happened locally. Notices apply in the order sent, so a profile created just before a
// device of it is known here before that device's first message. A dedicated connection LISTENs; it
// reconnects when lost (a device changed meanwhile is re-read with its next change: decision 0007;
// places and profiles are checked against the database on reconnect and every 30 s, as a safety net).
import pg from 'pg';
import type { EventBus } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import { announceChange, listenForChanges } from '../storage/cluster.ts';
import type { Pool } from '../storage/pool.ts';

/** NOTIFY payloads must stay under 8000 bytes. */
const payloadLimit = 7_000;

type Change = 'created' | 'updated' | 'deleted' | 'credentials';
type Notice =
  | { from: string; devices: Array<[string, Change]> }
  | { from: string; rules: true }
  | { from: string; places: true }
  | { from: string; profiles: true };

/** An in-memory copy of tables others may edit: re-read whole, or only when they changed. */
interface SharedCache {
  reload(): Promise<void>;
  refreshIfChanged(): Promise<boolean>;
}
/** How often places and profiles are compared with the database, for notices missed while disconnected. */
const cacheCheckMs = 30_000;

export function createChangeNotifier(deps: {
  databaseUrl: string;
  pool: Pool;
  bus: EventBus;
  registry: DeviceRegistry;
  caches: { places: SharedCache; profiles: SharedCache };
  instanceId: string;
  log: Logger;
}) {
  const { pool, bus, registry, caches, instanceId, log } = deps;
  let cacheTimer: NodeJS.Timeout | undefined;
  let listener: pg.Client | undefined;
  let stopped = false;
  let reconnectTimer: NodeJS.Timeout | undefined;
  // Set while a change from elsewhere is replayed on our bus, so it is not announced back.
  let replaying = false;
  let pending: Array<[string, Change]> = [];
  let flushScheduled = false;

  async function announce(notice: Notice) {
    await announceChange(pool, JSON.stringify(notice)).catch((error) =>
      log.warn({ err: error }, 'could not announce a change to the other instances'),
    );
  }

  function flushDevices() {
    flushScheduled = false;
    const list = pending;
    pending = [];
    // A fleet registration announces its devices in a few notices, not one per device.
    let chunk: Array<[string, Change]> = [];
    let size = 0;
    for (const entry of list) {
      const bytes = entry[0].length + 20;
      if (size + bytes > payloadLimit && chunk.length > 0) {
        void announce({ from: instanceId, devices: chunk });
        chunk = [];
        size = 0;
      }
      chunk.push(entry);
      size += bytes;
    }
    if (chunk.length > 0) void announce({ from: instanceId, devices: chunk });
  }

  const onDeviceChanged = ({ deviceId, change }: { deviceId: string; change: Change }) => {
    if (replaying) return;
    pending.push([deviceId, change]);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushDevices);
    }
  };
  const onRulesChanged = () => {
    if (!replaying) void announce({ from: instanceId, rules: true });
  };
  const onPlacesChanged = () => void announce({ from: instanceId, places: true });
  const onProfilesChanged = () => void announce({ from: instanceId, profiles: true });

  function checkCaches() {
    for (const [name, cache] of Object.entries(caches))
      cache.refreshIfChanged().catch((error) => log.warn({ err: error }, `${name} check failed; will retry`));
  }

  async function receive(payload: string | undefined) {
    let notice: Notice;
    try {
      notice = JSON.parse(payload ?? '') as Notice;
    } catch {
      return;
    }
    if (notice.from === instanceId) return;
    if ('rules' in notice) {
      replay(() => bus.emit('rulesChanged'));
      return;
    }
    if ('places' in notice || 'profiles' in notice) {
      const cache = 'places' in notice ? caches.places : caches.profiles;
      await cache.reload();
      return;
    }
    for (const [deviceId, change] of notice.devices) {
      await registry
        .refresh(deviceId)
        .catch((error) => log.warn({ err: error, deviceId }, 'could not re-read a changed device'));
      replay(() => bus.emit('deviceChanged', { deviceId, change }));
    }
  }

  function replay(emit: () => void) {
    replaying = true;
    try {
      emit();
    } finally {
      replaying = false;
    }
  }

  // Notices are applied in arrival order, one at a time.
  let chain = Promise.resolve();

  async function connect() {
    const client = new pg.Client({ connectionString: deps.databaseUrl });
    client.on('notification', (message) => {
      // A notice whose replay fails (a listener threw) is logged; the ones after it still apply.
      chain = chain
        .then(() => receive(message.payload))
        .catch((error) => log.warn({ err: error }, 'a change from another instance could not be applied'));
    });
    client.on('error', (error) => {
      log.warn({ err: error }, 'lost the LISTEN connection; reconnecting');
      void client.end().catch(() => {});
      if (listener === client) listener = undefined;
      scheduleReconnect();
    });
    try {
      await client.connect();
      await listenForChanges(client);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    listener = client;
  }

  function scheduleReconnect() {
    if (stopped || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect().then(checkCaches, () => scheduleReconnect());
    }, 1_000);
    reconnectTimer.unref();
  }

  return {
    async start() {
      await connect();
      bus.on('deviceChanged', onDeviceChanged);
      bus.on('rulesChanged', onRulesChanged);
      bus.on('placesChanged', onPlacesChanged);
      bus.on('profilesChanged', onProfilesChanged);
      cacheTimer = setInterval(checkCaches, cacheCheckMs);
      cacheTimer.unref();
    },
    async stop() {
      stopped = true;
      bus.off('deviceChanged', onDeviceChanged);
      bus.off('rulesChanged', onRulesChanged);
      bus.off('placesChanged', onPlacesChanged);
      bus.off('profilesChanged', onProfilesChanged);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      if (cacheTimer) clearInterval(cacheTimer);
      if (pending.length > 0) flushDevices();
      await chain;
      await listener?.end().catch(() => {});
      listener = undefined;
    },
  };
}
