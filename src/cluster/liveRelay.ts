// What a console sees, across instances: every instance's live layer reads a "view" bus that carries
// its own bus's readings, status, alerts and AQI plus those of every other instance, relayed through
// the socket.io Redis adapter (serverSideEmit on /live). Each instance then serves its own consoles
// from a complete state (snapshots included) and emits to its own sockets only, so nothing reaches a
// console twice. Readings are relayed coalesced (newest values per device per window); alerts and
// status changes one by one, at once. An alert crosses in its wire shape (src/alerts/wire.ts), the
// same a console or a webhook receives. While Redis is away nothing is relayed (the instance's own
// consoles are served from its own bus as ever); what comes after it is back is relayed again.
import type { Namespace } from 'socket.io';
import { type AlertEventWire, alertEventWire, alertFromWire, noteFromWire } from '../alerts/wire.ts';
import {
  type AlertEvent,
  type AqiEvent,
  createEventBus,
  type EventBus,
  type ReadingEvent,
  type StatusEvent,
} from '../events/bus.ts';
import type { Logger } from '../log.ts';

const readingWindowMs = 100;

type WireReading = Omit<ReadingEvent, 'ts' | 'receivedAt'> & { ts: number; receivedAt: number };

export function createLiveRelay(deps: {
  bus: EventBus;
  log: Logger;
  /** Whether Redis is up (the adapter's publish would fail otherwise). */
  connected: () => boolean;
}) {
  const { bus, log, connected } = deps;
  const view = createEventBus();
  let namespace: Namespace | undefined;
  let pending = new Map<string, WireReading>();
  let timer: NodeJS.Timeout | undefined;

  function send(event: string, payload: unknown) {
    if (!connected()) return;
    try {
      namespace?.serverSideEmit(event, payload);
    } catch (error) {
      log.warn({ err: error, event }, 'could not relay live data to the other instances');
    }
  }

  function flushReadings() {
    timer = undefined;
    if (pending.size === 0) return;
    const batch = [...pending.values()];
    pending = new Map();
    send('ioc:readings', batch);
  }

  const local = {
    reading: (e: ReadingEvent) => {
      view.emit('reading', e);
      const current = pending.get(e.deviceId);
      if (current && current.ts > e.ts.getTime()) Object.assign(current.metrics, e.metrics);
      else
        pending.set(e.deviceId, {
          ...e,
          metrics: { ...current?.metrics, ...e.metrics },
          ts: e.ts.getTime(),
          receivedAt: e.receivedAt.getTime(),
        });
      timer ??= setTimeout(flushReadings, readingWindowMs);
    },
    status: (e: StatusEvent) => {
      view.emit('status', e);
      send('ioc:status', { ...e, ts: e.ts.getTime() });
    },
    alert: (e: AlertEvent) => {
      view.emit('alert', e);
      send('ioc:alert', alertEventWire(e.action, e.alert, e.note));
    },
    aqi: (e: AqiEvent) => {
      view.emit('aqi', e);
      send('ioc:aqi', { ...e, hourStart: e.hourStart.getTime() });
    },
    deviceChanged: (e: { deviceId: string; change: 'created' | 'updated' | 'deleted' | 'credentials' }) =>
      view.emit('deviceChanged', e),
  };

  const remote = {
    'ioc:readings': (batch: WireReading[]) => {
      for (const r of batch)
        view.emit('reading', { ...r, ts: new Date(r.ts), receivedAt: new Date(r.receivedAt) });
    },
    'ioc:status': (e: Omit<StatusEvent, 'ts'> & { ts: number }) =>
      view.emit('status', { ...e, ts: new Date(e.ts) }),
    'ioc:alert': (e: AlertEventWire) =>
      view.emit('alert', {
        action: e.action,
        alert: alertFromWire(e.alert),
        ...(e.note && { note: noteFromWire(e.note) }),
      }),
    'ioc:aqi': (e: Omit<AqiEvent, 'hourStart'> & { hourStart: number }) =>
      view.emit('aqi', { ...e, hourStart: new Date(e.hourStart) }),
  };

  return {
    /** The bus the live layer reads. */
    view,
    start() {
      for (const [event, listener] of Object.entries(local)) bus.on(event as 'reading', listener as never);
    },
    /** Once the live layer exists: relay through its namespace (the Redis adapter carries it). */
    attach(live: Namespace) {
      namespace = live;
      for (const [event, listener] of Object.entries(remote))
        (live as unknown as { on(e: string, l: (...args: never[]) => void): void }).on(event, listener);
    },
    stop() {
      for (const [event, listener] of Object.entries(local)) bus.off(event as 'reading', listener as never);
      if (timer) clearTimeout(timer);
      flushReadings();
      namespace = undefined;
    },
  };
}
