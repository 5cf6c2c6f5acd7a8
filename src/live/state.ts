// The latest state of every device as the console shows it: position, connection, newest value of
// each metric, and the most severe active alert. Kept in memory from the bus; rebuilt from the
// database at start.

import { deviceSummaryWire } from '../registry/wire.ts';
import type { AlertRecord } from '../storage/alerts.ts';
import type { DeviceRow } from '../storage/devices.ts';
import type { LiveDeviceWire } from './wire.ts';

/** A device as the console's snapshot shows it (src/live/wire.ts). */
export type LiveDevice = LiveDeviceWire;

const rank = { info: 1, warning: 2, critical: 3 } as const;

/** One device's state. Kept for as long as the device is (changes replace its view, not the entry),
 * so a caller may hold it and skip the lookup: see entryOf. */
export interface Entry {
  view: LiveDevice;
  /** Time of the newest reading (ms); `view.ts` is formatted from it when read, not per reading. */
  newest: number | undefined;
  shown: number | undefined;
}

export function createLiveState() {
  const devices = new Map<string, Entry>();
  const alerts = new Map<string, Map<number, AlertRecord['severity']>>();

  function worstAlert(deviceId: string): LiveDevice['alert'] {
    let worst: LiveDevice['alert'] = null;
    for (const severity of alerts.get(deviceId)?.values() ?? []) {
      if (worst === null || rank[severity] > rank[worst]) worst = severity;
    }
    return worst;
  }

  function view(entry: Entry): LiveDevice {
    if (entry.shown !== entry.newest && entry.newest !== undefined) {
      entry.view.ts = new Date(entry.newest).toISOString();
      entry.shown = entry.newest;
    }
    return entry.view;
  }

  function readingInto(entry: Entry, ts: Date, metrics: Record<string, number>) {
    const t = ts.getTime();
    const known = entry.view.metrics;
    if (t >= (entry.newest ?? 0)) {
      entry.newest = t;
      Object.assign(known, metrics);
    } else {
      for (const k in metrics) if (Object.hasOwn(metrics, k) && !(k in known)) known[k] = metrics[k]!;
    }
  }

  return {
    upsertDevice(row: Pick<DeviceRow, 'id' | 'kind' | 'city' | 'ward' | 'name' | 'lat' | 'lon' | 'online'>) {
      const entry = devices.get(row.id);
      const current = entry && view(entry);
      // The summary object grows the live fields in place: a view built by spreading it measured
      // twice the cost per reading (readingInto reads the view on every reading).
      const next = deviceSummaryWire(row) as LiveDevice;
      next.online = current?.online ?? row.online;
      next.ts = current?.ts ?? null;
      next.metrics = current?.metrics ?? {};
      next.alert = worstAlert(row.id);
      if (current?.aqi) next.aqi = current.aqi;
      if (entry) entry.view = next;
      else devices.set(row.id, { view: next, newest: undefined, shown: undefined });
    },
    removeDevice(id: string) {
      devices.delete(id);
      alerts.delete(id);
    },
    /** The device's entry, to pass to readingInto instead of its id; undefined while it is unknown. */
    entryOf(deviceId: string): Entry | undefined {
      return devices.get(deviceId);
    },
    /** Merges a reading; older readings than the newest one only fill metrics not seen yet. */
    reading(deviceId: string, ts: Date, metrics: Record<string, number>) {
      const entry = devices.get(deviceId);
      if (entry) readingInto(entry, ts, metrics);
    },
    /** `reading`, for an entry the caller holds (entryOf): one lookup fewer per reading. */
    readingInto,
    status(deviceId: string, online: boolean) {
      const entry = devices.get(deviceId);
      if (entry) entry.view.online = online;
    },
    alert(alert: Pick<AlertRecord, 'id' | 'deviceId' | 'severity' | 'state'>) {
      const open = alerts.get(alert.deviceId) ?? new Map();
      if (alert.state === 'resolved') open.delete(alert.id);
      else open.set(alert.id, alert.severity);
      alerts.set(alert.deviceId, open);
      const entry = devices.get(alert.deviceId);
      if (entry) entry.view.alert = worstAlert(alert.deviceId);
    },
    aqi(deviceId: string, aqi: NonNullable<LiveDevice['aqi']>) {
      const entry = devices.get(deviceId);
      if (entry) entry.view.aqi = aqi;
    },
    get(id: string): LiveDevice | undefined {
      const entry = devices.get(id);
      return entry && view(entry);
    },
    *all(): IterableIterator<LiveDevice> {
      for (const entry of devices.values()) yield view(entry);
    },
  };
}

export type LiveState = ReturnType<typeof createLiveState>;
