// The live layer for operator consoles: socket.io namespace /live on the HTTP server. A client
// authenticates with its token in the handshake, gets a `snapshot` (devices and active alerts within
// its subscription), then `telemetry` batches coalesced over LIVE_COALESCE_MS, `device_status`, and
// `alert` on every transition (never coalesced). Telemetry is sent volatile: a client that falls behind
// gets the newest state on the next batch, not an unbounded queue. While the event loop is saturated
// (a surge of readings) the window widens up to LIVE_COALESCE_MAX_MS: consoles see a device's newest
// state less often, and the work saved goes to storing readings and raising alerts.
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { alertJson } from '../api/routes/alerts.ts';
import type { Auth, Principal } from '../auth/index.ts';
import { CityId, KindName } from '../catalog/schema.ts';
import type { AlertEvent, AqiEvent, EventBus, ReadingEvent, StatusEvent } from '../events/bus.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { AlertQueries } from '../storage/alerts.ts';
import type { Pool } from '../storage/pool.ts';
import { isoTimeFormatter } from './isoTime.ts';
import { RawJson, rawJsonParser } from './rawJson.ts';
import { createLiveState, type LiveDevice, type Entry as LiveStateEntry } from './state.ts';

export const Subscription = z
  .object({
    city: CityId.optional(),
    wards: z.array(z.string().max(64)).max(100).optional(),
    kinds: z.array(KindName).max(6).optional(),
  })
  .strict();
export type Subscription = z.infer<typeof Subscription>;

interface Place {
  city: string;
  ward: string;
  kind: string;
}
const matches = (s: Subscription, p: Place) =>
  (s.city === undefined || s.city === p.city) &&
  (s.wards === undefined || s.wards.includes(p.ward)) &&
  (s.kinds === undefined || (s.kinds as readonly string[]).includes(p.kind));

/**
 * The next window to coalesce live telemetry over: twice as long (up to `max`) after a window in
 * which the event loop was busy nearly all the time, half as long (down to `base`) after one with
 * room to spare. Between the two it stays, so it does not flap at the edge.
 */
export function nextCoalesceMs(current: number, utilization: number, base: number, max: number): number {
  if (utilization >= 0.9) return Math.min(max, current * 2);
  if (utilization <= 0.6) return Math.max(base, Math.round(current / 2));
  return current;
}

interface PendingDevice {
  /** `{"deviceId":"…","ts":"`, the start of each of this device's entries, written once. */
  head: string;
  /** It has readings waiting for the next flush. */
  waiting: boolean;
  ts: number;
  metrics: Record<string, number>;
  /** `metrics` as JSON while it is one reading's, as ingest had it (else written at the flush). */
  json: string | undefined;
  /** `metrics` is this entry's own copy (else it is the first reading's, not to be written to). */
  owned: boolean;
  place: Place;
  /** The device's live state, found once (undefined until the state knows the device). */
  state: LiveStateEntry | undefined;
}

interface SocketData {
  principal: Principal;
  subscription: Subscription;
}

export function createLive(deps: {
  server: HttpServer;
  auth: Auth;
  registry: DeviceRegistry;
  bus: EventBus;
  alertQueries: AlertQueries;
  pool: Pool;
  log: Logger;
  coalesceMs: number;
  /** The widest window under load (LIVE_COALESCE_MAX_MS); default: coalesceMs, never wider. */
  maxCoalesceMs?: number;
  metrics?: Metrics;
  /** Several instances (REDIS_URL): the socket.io Redis adapter (src/cluster/index.ts). */
  adapter?: Parameters<Server['adapter']>[0];
}) {
  const { auth, registry, bus, alertQueries, pool, log } = deps;
  const state = createLiveState();
  const io = new Server(deps.server, { serveClient: false, cors: { origin: false }, parser: rawJsonParser });
  if (deps.adapter) io.adapter(deps.adapter);
  const live = io.of('/live');
  // Each device's readings since the last flush, merged. Times stay numbers and the reading's metrics
  // object is shared until a second reading merges into it: formatting and copying happen once per
  // device per flush, not per reading. A device's entry stays between flushes (no object and map
  // insert per device per flush); `waiting` lists the ones with readings.
  const slots = new Map<string, PendingDevice>();
  let waiting: PendingDevice[] = [];
  const noMetrics: Record<string, number> = Object.freeze({}) as Record<string, number>;
  const isoTime = isoTimeFormatter();
  let timer: NodeJS.Timeout | undefined;
  const baseMs = deps.coalesceMs;
  const maxMs = Math.max(baseMs, deps.maxCoalesceMs ?? baseMs);
  let windowMs = baseMs;
  deps.metrics?.readLiveCoalesceFrom(() => windowMs);
  // How busy the event loop was since the last tick, 0..1.
  let loopBefore = performance.eventLoopUtilization();
  const load = () => {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, loopBefore);
    loopBefore = now;
    return utilization;
  };
  function tick() {
    flush();
    const next = nextCoalesceMs(windowMs, load(), baseMs, maxMs);
    if (next !== windowMs) {
      if (windowMs === baseMs)
        log.info(
          { windowMs: next },
          'server saturated: live telemetry to consoles batched over a wider window',
        );
      else if (next === baseMs) log.info({ windowMs: next }, 'live telemetry back to its usual window');
      windowMs = next;
    }
    timer = setTimeout(tick, windowMs);
    timer.unref();
  }

  live.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string')
      return next(new Error('UNAUTHENTICATED: send auth: { token } from POST /api/v1/auth/login'));
    auth.verifyToken(token).then(
      (principal) => {
        (socket.data as SocketData).principal = principal;
        (socket.data as SocketData).subscription = {};
        next();
      },
      () => next(new Error('UNAUTHENTICATED: the token is invalid or expired; log in again')),
    );
  });

  // Consoles connecting together (a shift change, a server restart) share one query of the active
  // alerts: a hundred at once would otherwise queue for the pool until their connects time out.
  let activeAlerts: ReturnType<AlertQueries['active']> | undefined;
  function currentAlerts() {
    activeAlerts ??= alertQueries.active().finally(() => {
      activeAlerts = undefined;
    });
    return activeAlerts;
  }

  async function snapshot(socket: Socket) {
    const subscription = (socket.data as SocketData).subscription;
    const active = await currentAlerts();
    const devices: LiveDevice[] = [];
    for (const device of state.all()) if (matches(subscription, device)) devices.push(device);
    const alerts = active.filter((a) => matches(subscription, a)).map(alertJson);
    socket.emit('snapshot', { serverTime: new Date().toISOString(), subscription, devices, alerts });
  }

  // Sockets with the same subscription share a room, so a telemetry batch is filtered and encoded
  // once per distinct subscription, not once per console.
  const roomPrefix = 'subscription:';
  const subscriptions = new Map<string, Subscription>();
  function joinSubscriptionRoom(socket: Socket) {
    for (const room of socket.rooms) if (room.startsWith(roomPrefix)) void socket.leave(room);
    const subscription = (socket.data as SocketData).subscription;
    subscriptions.set(JSON.stringify(subscription), subscription);
    void socket.join(`${roomPrefix}${JSON.stringify(subscription)}`);
  }

  live.on('connection', (socket) => {
    joinSubscriptionRoom(socket);
    void snapshot(socket).catch((error) => log.warn({ err: error }, 'snapshot failed'));
    socket.on('subscribe', (payload: unknown, ack?: (answer: unknown) => void) => {
      const parsed = Subscription.safeParse(payload ?? {});
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => `${i.path.join('.') || 'subscription'}: ${i.message}`)
          .join('; ');
        if (typeof ack === 'function') ack({ error: { code: 'VALIDATION_FAILED', message } });
        return;
      }
      (socket.data as SocketData).subscription = parsed.data;
      joinSubscriptionRoom(socket);
      if (typeof ack === 'function') ack({ ok: true, subscription: parsed.data });
      void snapshot(socket).catch((error) => log.warn({ err: error }, 'snapshot failed'));
    });
  });

  function toMatching(place: Place, emit: (socket: Socket) => void) {
    for (const socket of live.sockets.values()) {
      if (matches((socket.data as SocketData).subscription, place)) emit(socket);
    }
  }

  function flush() {
    if (waiting.length === 0) return;
    const flushed = waiting;
    waiting = [];
    // Each device's entry is written as JSON once and grouped by place; a room's batch is the join of
    // the groups its subscription matches (a few dozen places, not thousands of devices, per room).
    const groups = new Map<string, { place: Place; entries: string[] }>();
    for (const p of flushed) {
      const { city, ward, kind } = p.place;
      const key = `${city}\n${ward}\n${kind}`;
      let group = groups.get(key);
      if (!group) {
        group = { place: { city, ward, kind }, entries: [] };
        groups.set(key, group);
      }
      group.entries.push(`${p.head}${isoTime(p.ts)}","metrics":${p.json ?? JSON.stringify(p.metrics)}}`);
      p.waiting = false;
      p.metrics = noMetrics; // not kept alive until the device's next reading
      p.json = undefined;
    }
    const texts = [...groups.values()].map((g) => ({ place: g.place, text: g.entries.join(',') }));
    const rooms = live.adapter.rooms;
    for (const [key, subscription] of subscriptions) {
      const room = `${roomPrefix}${key}`;
      if (!rooms.get(room)?.size) {
        subscriptions.delete(key); // its last console left
        continue;
      }
      const mine: string[] = [];
      for (const group of texts) if (matches(subscription, group.place)) mine.push(group.text);
      // Local: with several instances each one serves its own consoles from the shared view
      // (src/cluster/liveRelay.ts), so a batch must not also cross the Redis adapter.
      if (mine.length > 0) live.local.to(room).volatile.emit('telemetry', new RawJson(`[${mine.join(',')}]`));
    }
  }

  const listeners = {
    reading: (event: ReadingEvent) => {
      // One lookup per reading: the device's slot holds its state entry too.
      let current = slots.get(event.deviceId);
      if (!current) {
        current = {
          head: `{"deviceId":${JSON.stringify(event.deviceId)},"ts":"`,
          waiting: false,
          ts: 0,
          metrics: noMetrics,
          json: undefined,
          owned: false,
          place: event,
          state: undefined,
        };
        slots.set(event.deviceId, current);
      }
      current.state ??= state.entryOf(event.deviceId);
      if (current.state) state.readingInto(current.state, event.ts, event.metrics);
      if (event.late) return; // a backlog changes history, not what the console shows as now
      const ts = event.ts.getTime();
      if (!current.waiting) {
        current.waiting = true;
        current.ts = ts;
        current.metrics = event.metrics;
        current.json = event.metricsJson;
        current.owned = false;
        current.place = event;
        waiting.push(current);
        return;
      }
      if (current.ts < ts) {
        current.ts = ts;
        current.place = event;
      }
      if (!current.owned) {
        current.metrics = { ...current.metrics };
        current.owned = true;
        current.json = undefined;
      }
      Object.assign(current.metrics, event.metrics);
    },
    status: (event: StatusEvent) => {
      state.status(event.deviceId, event.online);
      toMatching(event, (socket) =>
        socket.emit('device_status', {
          deviceId: event.deviceId,
          online: event.online,
          ts: event.ts.toISOString(),
          lastWill: event.lastWill,
        }),
      );
    },
    alert: ({ action, alert }: AlertEvent) => {
      state.alert(alert);
      toMatching(alert, (socket) => socket.emit('alert', { action, alert: alertJson(alert) }));
    },
    aqi: (event: AqiEvent) => {
      const aqi = {
        value: event.aqi,
        band: event.band,
        vi: event.vi,
        en: event.en,
        colour: event.colour,
        dominant: event.dominant,
        hour: event.hourStart.toISOString(),
      };
      state.aqi(event.deviceId, aqi);
      toMatching(event, (socket) => socket.emit('device_aqi', { deviceId: event.deviceId, aqi }));
    },
    deviceChanged: ({ deviceId, change }: { deviceId: string; change: string }) => {
      // A moved device keeps its pending entry: the entry takes its place from each flush's first reading.
      if (change === 'deleted') {
        slots.delete(deviceId);
        state.removeDevice(deviceId);
      } else {
        const row = registry.get(deviceId);
        if (row) state.upsertDevice(row);
      }
    },
  };

  return {
    io,
    state,
    /** The window live telemetry is batched over now. */
    coalesceMs: () => windowMs,
    async start() {
      for (const device of registry.all()) state.upsertDevice(device);
      const { rows } = await pool.query<{ deviceId: string; metric: string; time: Date; value: number }>(
        'SELECT device_id AS "deviceId", metric, time, value FROM device_latest',
      );
      for (const row of rows) state.reading(row.deviceId, row.time, { [row.metric]: row.value });
      for (const alert of await alertQueries.active()) state.alert(alert);
      bus.on('reading', listeners.reading);
      bus.on('status', listeners.status);
      bus.on('alert', listeners.alert);
      bus.on('deviceChanged', listeners.deviceChanged);
      bus.on('aqi', listeners.aqi);
      timer = setTimeout(tick, windowMs);
      timer.unref();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      bus.off('reading', listeners.reading);
      bus.off('status', listeners.status);
      bus.off('alert', listeners.alert);
      bus.off('deviceChanged', listeners.deviceChanged);
      bus.off('aqi', listeners.aqi);
      live.disconnectSockets(true);
      // io.close() would also close the HTTP server, which belongs to Fastify: close only the engine.
      io.engine.close();
    },
  };
}

export type Live = ReturnType<typeof createLive>;
