// The live layer for operator consoles: socket.io namespace /live on the HTTP server. A client
// authenticates with its token in the handshake, gets a `snapshot` (devices and active alerts within
// its subscription), then `telemetry` batches coalesced over LIVE_COALESCE_MS (coalescer.ts),
// `device_status`, and `alert` on every transition (never coalesced), in the shapes of wire.ts. Telemetry is sent volatile: a client that falls behind
// gets the newest state on the next batch, not an unbounded queue. While the event loop is saturated
// (a surge of readings) the window widens up to LIVE_COALESCE_MAX_MS: consoles see a device's newest
// state less often, and the work saved goes to storing readings and raising alerts.
//
// What one console may make the server spend is bounded (limits below, settings LIVE_*): subscribes by
// a token bucket per socket, with at most one snapshot waiting per socket (a newer subscribe replaces
// it); data queued for a socket that does not read, per socket and in total (past the bound the socket
// is cut); sockets per user and in total. A session that ends (logout, new password, disabled, new
// role, deleted account, on any instance or by the admin command) ends its sockets at once: the
// database announces it (sessions.ts), and every socket's token is checked again periodically too.
// A user scoped to some areas or units (src/auth/scope.ts) gets their subscription within that scope:
// nothing outside it is in their snapshots or sent to them as an event.
import type { Server as HttpServer } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { z } from 'zod';
import { alertEventWire, alertWire } from '../alerts/wire.ts';
import type { Auth, Principal } from '../auth/index.ts';
import { inScope, type Scope, sameScope, scopeIds } from '../auth/scope.ts';
import { CityId, KindName } from '../catalog/schema.ts';
import type { AlertEvent, AqiEvent, EventBus, ReadingEvent, StatusEvent } from '../events/bus.ts';
import { createTokenBuckets } from '../limits/tokenBucket.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/index.ts';
import type { DeviceRegistry } from '../registry/index.ts';
import type { AlertQueries } from '../storage/alerts.ts';
import { readLatestValues } from '../storage/live.ts';
import type { Pool } from '../storage/pool.ts';
import { createCoalescer, type LiveClock, type Place, type PlaceBatch, systemClock } from './coalescer.ts';
import { RawJson, rawJsonParser } from './rawJson.ts';
import { watchSessions } from './sessions.ts';
import { createLiveState, type LiveDevice } from './state.ts';
import { aqiWire, type DeviceAqiWire, deviceStatusWire, type SnapshotWire } from './wire.ts';

/** What one console, one user and all of them together may make the live layer spend. */
export interface LiveLimits {
  /** Subscribes per second per socket (LIVE_SUBSCRIBE_PER_S), in bursts of subscribeBurst. */
  subscribePerS: number;
  subscribeBurst: number;
  /** Data queued for one socket and not yet taken by its peer (LIVE_SOCKET_BUFFER_BYTES); past it the socket is cut. */
  socketBufferBytes: number;
  /** The same over every socket of this instance (LIVE_BUFFER_TOTAL_BYTES); past it the biggest are cut. */
  totalBufferBytes: number;
  /** Open /live sockets per user (LIVE_SOCKETS_PER_USER) and in total on this instance (LIVE_SOCKETS_MAX). */
  socketsPerUser: number;
  maxSockets: number;
  /** How often every socket's token and account are checked again (LIVE_SESSION_CHECK_S, in ms). */
  sessionCheckMs: number;
}

export const defaultLiveLimits: LiveLimits = {
  subscribePerS: 2,
  subscribeBurst: 5,
  socketBufferBytes: 16 * 1024 * 1024,
  totalBufferBytes: 256 * 1024 * 1024,
  socketsPerUser: 100,
  maxSockets: 2_000,
  sessionCheckMs: 5_000,
};

/** Largest message a console may send (a subscribe is well under 10 KiB). */
const maxClientMessageBytes = 64 * 1024;
/** A connection that joins no namespace within this is closed (socket.io's default is 45 s). */
const connectTimeoutMs = 10_000;
/** How often the total of queued data is summed, and deferred snapshots retried. */
const sweepMs = 1_000;
const snapshotRetryMs = 50;
/**
 * A snapshot waits while more than this is queued for its socket (the previous snapshot, usually). Not
 * zero: a console on a slow link that is always a telemetry batch behind must still get its snapshot.
 */
const snapshotQueuedBelow = 64 * 1024;

/** A refusal a console reads: code, then Vietnamese and English. */
interface Refusal {
  code: 'UNAUTHENTICATED' | 'RATE_LIMITED' | 'VALIDATION_FAILED' | 'ROLE_CHANGED' | 'FORBIDDEN';
  message: string;
  details?: Record<string, unknown>;
}
const refusal = (
  code: Refusal['code'],
  vi: string,
  en: string,
  details?: Record<string, unknown>,
): Refusal => ({
  code,
  message: `${vi} / ${en}`,
  ...(details ? { details } : {}),
});
/** A handshake refusal: socket.io hands `message` and `data` to the client's connect_error. */
function handshakeError(r: Refusal): Error {
  return Object.assign(new Error(`${r.code}: ${r.message}`), { data: r });
}

export const Subscription = z
  .object({
    city: CityId.optional(),
    wards: z.array(z.string().max(64)).max(100).optional(),
    kinds: z.array(KindName).max(100).optional(),
  })
  .strict();
export type Subscription = z.infer<typeof Subscription>;

const matches = (s: Subscription, p: Place) =>
  (s.city === undefined || s.city === p.city) &&
  (s.wards === undefined || s.wards.includes(p.ward)) &&
  (s.kinds === undefined || (s.kinds as readonly string[]).includes(p.kind));

/** What one console is sent: its subscription, within its user's scope. */
interface View {
  subscription: Subscription;
  scope: Scope;
}
const sees = (view: View, p: Place) => matches(view.subscription, p) && inScope(view.scope, p);
const viewOf = (data: SocketData): View => ({ subscription: data.subscription, scope: data.principal.scope });

interface SocketData {
  principal: Principal;
  subscription: Subscription;
  /** The handshake's token, checked again periodically and when the user's sessions change. */
  token: string;
  /** Subscribes refused since the last one accepted. */
  refusedInARow: number;
  /** A snapshot is being built for this socket. */
  building: boolean;
  /** A snapshot is owed (built from the subscription as it is when its turn comes). */
  wanted: boolean;
}

/**
 * A socket refused this many subscribes in a row (times the burst) is flooding, not a console changing
 * its view: it is cut, so the rest of what it sent costs next to nothing.
 */
const floodRefusals = 10;

/** The engine.io connection under a socket (its documented events and properties only). */
type Connection = Socket['conn'];
interface Queue {
  /** Characters in packets created for the connection and not yet handed to its transport. */
  queued: number;
}

export function createLive(deps: {
  server: HttpServer;
  auth: Auth;
  registry: DeviceRegistry;
  /** The device profiles known now (admins add them at run time): a subscription names only these. */
  kinds?: { has(kind: string): boolean };
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
  limits?: Partial<LiveLimits>;
  /** Where ended sessions are heard (LISTEN ioc_sessions); unset: only the periodic check ends them. */
  databaseUrl?: string;
  /** Time and the telemetry window's timer (tests move it instead of waiting). */
  clock?: LiveClock;
  /** How busy the event loop was since the last call, 0..1 (default: measured). */
  load?: () => number;
}) {
  const { auth, registry, bus, alertQueries, pool, log } = deps;
  const limits: LiveLimits = { ...defaultLiveLimits, ...deps.limits };
  const state = createLiveState();
  const clock = deps.clock ?? systemClock;
  const io = new Server(deps.server, {
    serveClient: false,
    cors: { origin: false },
    parser: rawJsonParser,
    maxHttpBufferSize: maxClientMessageBytes,
    connectTimeout: connectTimeoutMs,
  });
  if (deps.adapter) io.adapter(deps.adapter);
  // Only /live serves anyone; the default namespace would hold sockets open without a token.
  io.of('/').use((_socket, next) =>
    next(handshakeError(refusal('UNAUTHENTICATED', 'chỉ có /live', 'only /live is served'))),
  );
  const live = io.of('/live');
  const coalescer = createCoalescer({
    state,
    send: sendTelemetry,
    baseMs: deps.coalesceMs,
    maxMs: deps.maxCoalesceMs ?? deps.coalesceMs,
    clock,
    load: deps.load,
    log,
  });
  deps.metrics?.readLiveCoalesceFrom(() => coalescer.windowMs());

  // Every admitted socket, by user: the caps count them from the moment the handshake is accepted
  // (not from 'connection', a tick later), so a burst of handshakes cannot all pass the check.
  const admitted = new Set<Socket>();
  const byUser = new Map<string, Set<Socket>>();
  /** New connections per user (one bucket per account: bounded by the accounts). */
  const connectsByUser = createTokenBuckets({
    refill: limits.subscribePerS,
    everyMs: 1000,
    burst: limits.socketsPerUser,
    clock: () => clock.now(),
  });
  /** Subscribes per socket, keyed by the socket's id; a closed socket's bucket refills and is forgotten. */
  const subscribesBySocket = createTokenBuckets({
    refill: limits.subscribePerS,
    everyMs: 1000,
    burst: limits.subscribeBurst,
    clock: () => clock.now(),
  });
  function admit(socket: Socket, username: string) {
    admitted.add(socket);
    let mine = byUser.get(username);
    if (!mine) {
      mine = new Set();
      byUser.set(username, mine);
    }
    mine.add(socket);
    const release = () => {
      admitted.delete(socket);
      deferred.delete(socket);
      mine.delete(socket);
      if (mine.size === 0 && byUser.get(username) === mine) byUser.delete(username);
    };
    // A client gone before its socket connected never sees 'disconnect': its connection's close releases it.
    socket.once('disconnect', release);
    socket.conn.once('close', release);
  }

  live.use((socket, next) => {
    const token = (socket.handshake.auth as { token?: unknown }).token;
    if (typeof token !== 'string')
      return next(
        handshakeError(
          refusal(
            'UNAUTHENTICATED',
            'gửi auth: { token } lấy từ POST /api/v1/auth/login',
            'send auth: { token } from POST /api/v1/auth/login',
          ),
        ),
      );
    auth.verifyToken(token).then(
      (principal) => {
        // An installer's page polls its own devices over REST; the live stream is the whole city's.
        if (principal.role === 'installer')
          return next(
            handshakeError(
              refusal(
                'FORBIDDEN',
                'tài khoản nhà cung cấp / lắp đặt không dùng kênh trực tiếp; xem GET /api/v1/devices',
                'installer accounts have no live stream; read GET /api/v1/devices',
              ),
            ),
          );
        if (admitted.size >= limits.maxSockets) {
          deps.metrics?.liveRefused.inc({ reason: 'sockets_total' });
          return next(
            handshakeError(
              refusal(
                'RATE_LIMITED',
                `máy chủ đã có ${limits.maxSockets} kết nối trực tiếp; thử lại sau`,
                `this server already serves ${limits.maxSockets} live connections; try again later`,
              ),
            ),
          );
        }
        if ((byUser.get(principal.username)?.size ?? 0) >= limits.socketsPerUser) {
          deps.metrics?.liveRefused.inc({ reason: 'sockets_user' });
          return next(
            handshakeError(
              refusal(
                'RATE_LIMITED',
                `tài khoản này đã có ${limits.socketsPerUser} kết nối trực tiếp; đóng bớt một bảng điều khiển`,
                `this account already has ${limits.socketsPerUser} live connections; close a console first`,
              ),
            ),
          );
        }
        // Every connection costs a snapshot: a reconnect loop is held to the subscribe rate once
        // past a burst as large as the user's socket cap (a restart reconnects all their consoles).
        const waitMs = Math.ceil(connectsByUser.take(principal.username));
        if (waitMs > 0) {
          deps.metrics?.liveRefused.inc({ reason: 'connect_rate' });
          return next(
            handshakeError(
              refusal(
                'RATE_LIMITED',
                `kết nối lại quá nhanh; thử lại sau ${Math.ceil(waitMs / 1000)} giây`,
                `too many live connections in a row; try again in ${Math.ceil(waitMs / 1000)} s`,
                { retryAfterMs: waitMs },
              ),
            ),
          );
        }
        // The client left while its token was checked: nothing would release what is taken here.
        if (socket.conn.readyState !== 'open') return next(new Error('gone'));
        const data = socket.data as SocketData;
        data.principal = principal;
        data.subscription = {};
        data.token = token;
        data.refusedInARow = 0;
        data.building = false;
        data.wanted = false;
        admit(socket, principal.username);
        next();
      },
      () =>
        next(
          handshakeError(
            refusal(
              'UNAUTHENTICATED',
              'token không hợp lệ hoặc đã hết hạn; hãy đăng nhập lại',
              'the token is invalid or expired; log in again',
            ),
          ),
        ),
    );
  });

  // Data queued per connection, counted from engine.io's documented events: `packetCreate` for each
  // packet made for it, `flush` when its queue goes to the transport. What the transport holds is read
  // from the TCP socket where there is one to read (a connection that began as a WebSocket); behind an
  // upgraded or polling connection the transport holds at most one flushed queue, itself within the bound.
  const queues = new WeakMap<Connection, Queue>();
  function tcpOf(conn: Connection): NetSocket | undefined {
    if (conn.transport.name !== 'websocket' || conn.upgraded) return undefined;
    return conn.request.socket as NetSocket | undefined;
  }
  function bufferedBytes(conn: Connection): number {
    return (queues.get(conn)?.queued ?? 0) + (tcpOf(conn)?.writableLength ?? 0);
  }
  function watchQueue(socket: Socket) {
    const conn = socket.conn;
    if (queues.has(conn)) return;
    const queue: Queue = { queued: 0 };
    queues.set(conn, queue);
    conn.on('packetCreate', (packet: { data?: string | Buffer | ArrayBuffer }) => {
      const data = packet.data;
      queue.queued += typeof data === 'string' ? data.length : (data?.byteLength ?? 0);
      if (queue.queued + (tcpOf(conn)?.writableLength ?? 0) > limits.socketBufferBytes)
        // Not from inside engine.io's send (a broadcast may be iterating its sockets).
        process.nextTick(() => drop(socket, 'slow_reader'));
    });
    conn.on('flush', () => {
      queue.queued = 0;
    });
  }

  const dropping = new WeakSet<Socket>();
  /**
   * Closes a socket. A console that reads is told why first and gets socket.io's ordinary goodbye; a
   * connection with data still queued is cut at once (its queue discarded, its TCP socket destroyed),
   * since a peer that does not read would hold that memory until a timeout.
   */
  function drop(socket: Socket, reason: string, notice?: Refusal) {
    if (dropping.has(socket)) return;
    dropping.add(socket);
    deps.metrics?.liveDropped.inc({ reason });
    const conn = socket.conn;
    const stuck =
      bufferedBytes(conn) > 0 ||
      reason === 'slow_reader' ||
      reason === 'buffer_total' ||
      reason === 'subscribe_flood';
    if (notice && !stuck) socket.emit('session_ended', notice);
    socket.disconnect(true);
    if (stuck) {
      log.warn(
        { user: (socket.data as SocketData).principal?.username, reason, bufferedBytes: bufferedBytes(conn) },
        reason === 'subscribe_flood'
          ? 'live socket cut: it floods subscribes'
          : 'live socket cut: it does not read what is sent to it',
      );
      conn.close(true);
      tcpOf(conn)?.destroy();
    }
  }

  // Snapshots: one at a time per socket, none while the socket still has much queued (the previous
  // snapshot, usually); subscribes meanwhile only change which subscription the owed one is built for.
  const deferred = new Set<Socket>();
  let retryTimer: NodeJS.Timeout | undefined;
  function retryDeferred() {
    retryTimer = undefined;
    const waiting = [...deferred];
    deferred.clear();
    for (const socket of waiting) pump(socket);
  }
  function wantSnapshot(socket: Socket) {
    const data = socket.data as SocketData;
    if (data.wanted) deps.metrics?.liveRefused.inc({ reason: 'snapshot_pending' });
    data.wanted = true;
    pump(socket);
  }
  function pump(socket: Socket) {
    const data = socket.data as SocketData;
    if (!socket.connected || dropping.has(socket) || data.building || !data.wanted) return;
    if (bufferedBytes(socket.conn) > snapshotQueuedBelow) {
      deferred.add(socket);
      retryTimer ??= setTimeout(retryDeferred, snapshotRetryMs);
      return;
    }
    data.wanted = false;
    data.building = true;
    snapshot(socket)
      .catch((error) => log.warn({ err: error }, 'snapshot failed'))
      .finally(() => {
        data.building = false;
        pump(socket);
      });
  }

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
    const view = viewOf(socket.data as SocketData);
    const { subscription } = view;
    const active = await currentAlerts();
    const devices: LiveDevice[] = [];
    for (const device of state.all()) if (sees(view, device)) devices.push(device);
    const alerts = active.filter((a) => sees(view, a)).map(alertWire);
    const message: SnapshotWire = {
      serverTime: new Date(clock.now()).toISOString(),
      subscription,
      devices,
      alerts,
    };
    socket.emit('snapshot', message);
  }

  // Sockets with the same subscription and scope share a room, so a telemetry batch is filtered and
  // encoded once per distinct view, not once per console.
  const roomPrefix = 'subscription:';
  const subscriptions = new Map<string, View>();
  function joinSubscriptionRoom(socket: Socket) {
    for (const room of socket.rooms) if (room.startsWith(roomPrefix)) void socket.leave(room);
    const view = viewOf(socket.data as SocketData);
    const key = JSON.stringify([view.subscription, scopeIds(view.scope)]);
    subscriptions.set(key, view);
    void socket.join(`${roomPrefix}${key}`);
  }

  live.on('connection', (socket) => {
    watchQueue(socket);
    joinSubscriptionRoom(socket);
    wantSnapshot(socket);
    socket.on('subscribe', (payload: unknown, ack?: (answer: unknown) => void) => {
      const data = socket.data as SocketData;
      // Refused before anything is parsed or built: the cheapest answer for a flood.
      const waitMs = Math.ceil(subscribesBySocket.take(socket.id));
      if (waitMs > 0) {
        deps.metrics?.liveRefused.inc({ reason: 'subscribe_rate' });
        if (++data.refusedInARow >= floodRefusals * limits.subscribeBurst) {
          drop(socket, 'subscribe_flood');
          return;
        }
        if (typeof ack === 'function')
          ack({
            error: refusal(
              'RATE_LIMITED',
              `đổi đăng ký quá nhanh; thử lại sau ${Math.ceil(waitMs / 1000)} giây`,
              `too many subscribes; try again in ${Math.ceil(waitMs / 1000)} s`,
              { retryAfterMs: waitMs },
            ),
          });
        return;
      }
      data.refusedInARow = 0;
      const parsed = Subscription.safeParse(payload ?? {});
      if (!parsed.success) {
        const message = parsed.error.issues
          .map((i) => `${i.path.join('.') || 'subscription'}: ${i.message}`)
          .join('; ');
        if (typeof ack === 'function') ack({ error: { code: 'VALIDATION_FAILED', message } });
        return;
      }
      const unknownKinds = (parsed.data.kinds ?? []).filter((k) => deps.kinds && !deps.kinds.has(k));
      if (unknownKinds.length > 0) {
        if (typeof ack === 'function')
          ack({
            error: refusal(
              'VALIDATION_FAILED',
              `kinds: không có loại thiết bị ${unknownKinds.join(', ')}`,
              `kinds: no device profile ${unknownKinds.join(', ')}`,
            ),
          });
        return;
      }
      data.subscription = parsed.data;
      joinSubscriptionRoom(socket);
      if (typeof ack === 'function') ack({ ok: true, subscription: parsed.data });
      wantSnapshot(socket);
    });
  });

  // Sessions. A notice names a user whose account changed: their sockets are checked against the
  // account as it is now (read fresh), and those whose session ended or whose role changed are closed.
  const ended = refusal(
    'UNAUTHENTICATED',
    'phiên đăng nhập đã kết thúc; hãy đăng nhập lại',
    'this session has ended; log in again',
  );
  const roleChanged = refusal(
    'ROLE_CHANGED',
    'quyền hoặc phạm vi của tài khoản đã thay đổi; hãy kết nối lại',
    "the account's role or scope has changed; connect again",
  );
  async function recheck(socket: Socket) {
    const data = socket.data as SocketData;
    if (!socket.connected || dropping.has(socket)) return;
    let principal: Principal;
    try {
      principal = await auth.verifyToken(data.token);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'UNAUTHENTICATED')
        return drop(socket, 'session_ended', ended);
      // The account could not be read (the database is away): the next check decides.
      log.warn({ err: error }, 'could not check a live session again');
      return;
    }
    if (principal.role !== data.principal.role || !sameScope(principal.scope, data.principal.scope))
      drop(socket, 'role_changed', roleChanged);
  }
  function sessionsChanged(username: string) {
    const mine = byUser.get(username);
    auth.forget(username);
    if (!mine) return;
    for (const socket of [...mine]) void recheck(socket);
  }
  function recheckAll() {
    for (const username of byUser.keys()) auth.forget(username);
    for (const socket of [...admitted]) void recheck(socket);
  }
  const sessions = deps.databaseUrl
    ? watchSessions({
        databaseUrl: deps.databaseUrl,
        log,
        onChange: sessionsChanged,
        onResync: recheckAll,
      })
    : undefined;
  let sessionTimer: NodeJS.Timeout | undefined;
  function sessionTick() {
    // The account cache (a few seconds) makes this one query per user, not per socket.
    for (const socket of [...admitted]) void recheck(socket);
    sessionTimer = setTimeout(sessionTick, limits.sessionCheckMs);
    sessionTimer.unref();
  }

  // The total of queued data: when it passes its bound, the sockets holding the most are cut first
  // (consoles that read hold next to nothing).
  let sweepTimer: NodeJS.Timeout | undefined;
  function sweep() {
    let total = 0;
    const held: Array<{ socket: Socket; bytes: number }> = [];
    for (const socket of admitted) {
      const bytes = bufferedBytes(socket.conn);
      if (bytes === 0) continue;
      total += bytes;
      held.push({ socket, bytes });
    }
    if (total > limits.totalBufferBytes) {
      held.sort((x, y) => y.bytes - x.bytes);
      for (const { socket, bytes } of held) {
        if (total <= limits.totalBufferBytes) break;
        drop(socket, 'buffer_total');
        total -= bytes;
      }
    }
    sweepTimer = setTimeout(sweep, sweepMs);
    sweepTimer.unref();
  }

  function toMatching(place: Place, emit: (socket: Socket) => void) {
    for (const socket of live.sockets.values()) {
      const data = socket.data as SocketData;
      if (matches(data.subscription, place) && inScope(data.principal.scope, place)) emit(socket);
    }
  }

  /** A window's telemetry to the rooms whose subscription matches, each room's batch encoded once. */
  function sendTelemetry(batches: PlaceBatch[]) {
    const rooms = live.adapter.rooms;
    for (const [key, view] of subscriptions) {
      const room = `${roomPrefix}${key}`;
      if (!rooms.get(room)?.size) {
        subscriptions.delete(key); // its last console left
        continue;
      }
      const mine: string[] = [];
      for (const batch of batches) if (sees(view, batch.place)) mine.push(batch.text);
      // Local: with several instances each one serves its own consoles from the shared view
      // (src/cluster/liveRelay.ts), so a batch must not also cross the Redis adapter.
      if (mine.length > 0) live.local.to(room).volatile.emit('telemetry', new RawJson(`[${mine.join(',')}]`));
    }
  }

  const listeners = {
    reading: (event: ReadingEvent) => coalescer.reading(event),
    status: (event: StatusEvent) => {
      state.status(event.deviceId, event.online);
      const message = deviceStatusWire(event);
      toMatching(event, (socket) => socket.emit('device_status', message));
    },
    alert: ({ action, alert, note }: AlertEvent) => {
      state.alert(alert);
      const message = alertEventWire(action, alert, note);
      toMatching(alert, (socket) => socket.emit('alert', message));
    },
    aqi: (event: AqiEvent) => {
      const message: DeviceAqiWire = { deviceId: event.deviceId, aqi: aqiWire(event) };
      state.aqi(event.deviceId, message.aqi);
      toMatching(event, (socket) => socket.emit('device_aqi', message));
    },
    deviceChanged: ({ deviceId, change }: { deviceId: string; change: string }) => {
      // A moved device keeps its pending entry: the entry takes its place from each flush's first reading.
      if (change === 'deleted') {
        coalescer.forget(deviceId);
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
    coalesceMs: () => coalescer.windowMs(),
    /** Devices with telemetry waiting for the next window (tests wait for it to be sent). */
    pendingTelemetry: () => coalescer.pending(),
    async start() {
      for (const device of registry.all()) state.upsertDevice(device);
      for (const row of await readLatestValues(pool))
        state.reading(row.deviceId, row.time, { [row.metric]: row.value });
      for (const alert of await alertQueries.active()) state.alert(alert);
      bus.on('reading', listeners.reading);
      bus.on('status', listeners.status);
      bus.on('alert', listeners.alert);
      bus.on('deviceChanged', listeners.deviceChanged);
      bus.on('aqi', listeners.aqi);
      coalescer.start();
      await sessions?.start();
      sessionTimer = setTimeout(sessionTick, limits.sessionCheckMs);
      sessionTimer.unref();
      sweepTimer = setTimeout(sweep, sweepMs);
      sweepTimer.unref();
    },
    async stop() {
      coalescer.stop();
      clearTimeout(sessionTimer);
      clearTimeout(sweepTimer);
      clearTimeout(retryTimer);
      await sessions?.stop();
      bus.off('reading', listeners.reading);
      bus.off('status', listeners.status);
      bus.off('alert', listeners.alert);
      bus.off('deviceChanged', listeners.deviceChanged);
      bus.off('aqi', listeners.aqi);
      // This instance's consoles only: through the Redis adapter a plain disconnectSockets asks every
      // instance to drop its consoles, and with Redis away it would reach none.
      live.local.disconnectSockets(true);
      // io.close() would also close the HTTP server, which belongs to Fastify: close only the engine.
      io.engine.close();
    },
  };
}

export type Live = ReturnType<typeof createLive>;
