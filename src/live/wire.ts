// What the live layer sends a console, event by event: `snapshot`, `telemetry` (readings), `alert`,
// `device_status`, `device_aqi`. Alerts and devices are the shapes every surface uses
// (src/alerts/wire.ts, src/registry/wire.ts); a device here is its summary plus its live state.
// The telemetry hot path writes readings as JSON text itself (readingHead, readingText): the schema
// and readingWire below are the contract it keeps, byte for byte. Shapes and examples: docs/wire-shapes.md.
import { z } from 'zod';
import { severities } from '../alerts/rules.ts';
import { AlertWire } from '../alerts/wire.ts';
import type { AqiEvent, StatusEvent } from '../events/bus.ts';
import { DeviceSummaryWire } from '../registry/wire.ts';

/** An environment station's last hourly VN_AQI with its category (Decision 1459/QĐ-TCMT). */
export const AqiWire = z.object({
  value: z.number(),
  band: z.number(),
  vi: z.string(),
  en: z.string(),
  colour: z.string(),
  dominant: z.string(),
  hour: z.string(),
});
export type AqiWire = z.infer<typeof AqiWire>;

/** A device on the console's map: its summary and its newest state. */
export const LiveDeviceWire = DeviceSummaryWire.extend({
  ts: z.string().nullable().describe('time of the newest reading'),
  metrics: z.record(z.string(), z.number()).describe('the newest value of each metric'),
  alert: z.enum(severities).nullable().describe('the most severe active alert on the device'),
  aqi: AqiWire.optional(),
});
export type LiveDeviceWire = z.infer<typeof LiveDeviceWire>;

/** One device's readings over a telemetry window, merged: the newest time, the newest value of each metric. */
export const ReadingWire = z.object({
  deviceId: z.string(),
  ts: z.string(),
  metrics: z.record(z.string(), z.number()),
});
export type ReadingWire = z.infer<typeof ReadingWire>;

export function readingWire(deviceId: string, ts: Date, metrics: Record<string, number>): ReadingWire {
  return { deviceId, ts: ts.toISOString(), metrics };
}

/** `{"deviceId":"…","ts":"`: how every reading of the device starts, written once per device. */
export const readingHead = (deviceId: string) => `{"deviceId":${JSON.stringify(deviceId)},"ts":"`;

/** readingWire's JSON from the device's head, the time already formatted and the metrics already JSON. */
export const readingText = (head: string, isoTime: string, metricsJson: string) =>
  `${head}${isoTime}","metrics":${metricsJson}}`;

export const DeviceStatusWire = z.object({
  deviceId: z.string(),
  online: z.boolean(),
  ts: z.string(),
  lastWill: z
    .boolean()
    .describe('the broker published the last will: the connection dropped without goodbye'),
});
export type DeviceStatusWire = z.infer<typeof DeviceStatusWire>;

export function deviceStatusWire(e: StatusEvent): DeviceStatusWire {
  return { deviceId: e.deviceId, online: e.online, ts: e.ts.toISOString(), lastWill: e.lastWill };
}

export const DeviceAqiWire = z.object({ deviceId: z.string(), aqi: AqiWire });
export type DeviceAqiWire = z.infer<typeof DeviceAqiWire>;

export function aqiWire(e: AqiEvent): AqiWire {
  return {
    value: e.aqi,
    band: e.band,
    vi: e.vi,
    en: e.en,
    colour: e.colour,
    dominant: e.dominant,
    hour: e.hourStart.toISOString(),
  };
}

export const SnapshotWire = z.object({
  serverTime: z.string(),
  subscription: z.record(z.string(), z.unknown()),
  devices: z.array(LiveDeviceWire),
  alerts: z.array(AlertWire),
});
export type SnapshotWire = z.infer<typeof SnapshotWire>;
