// The latest state of every device as the console shows it: position, connection, newest value of
// each metric, and the most severe active alert. Kept in memory from the bus; rebuilt from the
// database at start.
import type { AlertRecord } from '../storage/alerts.ts';
import type { DeviceRow } from '../storage/devices.ts';

export interface LiveDevice {
  id: string;
  kind: string;
  city: string;
  ward: string;
  name: string;
  lat: number;
  lon: number;
  online: boolean | null;
  /** Time of the newest reading. */
  ts: string | null;
  metrics: Record<string, number>;
  /** The most severe active alert on the device, if any. */
  alert: 'info' | 'warning' | 'critical' | null;
  /** Environment stations: the last hourly VN_AQI with its category (Decision 1459/QĐ-TCMT). */
  aqi?: {
    value: number;
    band: number;
    vi: string;
    en: string;
    colour: string;
    dominant: string;
    hour: string;
  };
}

const rank = { info: 1, warning: 2, critical: 3 } as const;

export function createLiveState() {
  const devices = new Map<string, LiveDevice>();
  const newest = new Map<string, number>();
  const alerts = new Map<string, Map<number, AlertRecord['severity']>>();

  function worstAlert(deviceId: string): LiveDevice['alert'] {
    let worst: LiveDevice['alert'] = null;
    for (const severity of alerts.get(deviceId)?.values() ?? []) {
      if (worst === null || rank[severity] > rank[worst]) worst = severity;
    }
    return worst;
  }

  return {
    upsertDevice(row: Pick<DeviceRow, 'id' | 'kind' | 'city' | 'ward' | 'name' | 'lat' | 'lon' | 'online'>) {
      const current = devices.get(row.id);
      devices.set(row.id, {
        id: row.id,
        kind: row.kind,
        city: row.city,
        ward: row.ward,
        name: row.name,
        lat: row.lat,
        lon: row.lon,
        online: current?.online ?? row.online,
        ts: current?.ts ?? null,
        metrics: current?.metrics ?? {},
        alert: worstAlert(row.id),
        ...(current?.aqi ? { aqi: current.aqi } : {}),
      });
    },
    removeDevice(id: string) {
      devices.delete(id);
      newest.delete(id);
      alerts.delete(id);
    },
    /** Merges a reading; older readings than the newest one only fill metrics not seen yet. */
    reading(deviceId: string, ts: Date, metrics: Record<string, number>) {
      const device = devices.get(deviceId);
      if (!device) return;
      const t = ts.getTime();
      if (t >= (newest.get(deviceId) ?? 0)) {
        newest.set(deviceId, t);
        device.ts = ts.toISOString();
        Object.assign(device.metrics, metrics);
      } else {
        for (const [k, v] of Object.entries(metrics)) if (!(k in device.metrics)) device.metrics[k] = v;
      }
    },
    status(deviceId: string, online: boolean) {
      const device = devices.get(deviceId);
      if (device) device.online = online;
    },
    alert(alert: Pick<AlertRecord, 'id' | 'deviceId' | 'severity' | 'state'>) {
      const open = alerts.get(alert.deviceId) ?? new Map();
      if (alert.state === 'resolved') open.delete(alert.id);
      else open.set(alert.id, alert.severity);
      alerts.set(alert.deviceId, open);
      const device = devices.get(alert.deviceId);
      if (device) device.alert = worstAlert(alert.deviceId);
    },
    aqi(deviceId: string, aqi: NonNullable<LiveDevice['aqi']>) {
      const device = devices.get(deviceId);
      if (device) device.aqi = aqi;
    },
    get: (id: string) => devices.get(id),
    all: () => devices.values(),
  };
}

export type LiveState = ReturnType<typeof createLiveState>;
