// The typed in-process bus between areas. Ingest publishes what it accepted; alerts, live state and
// rollups subscribe. Scale-out swaps the transport behind it, not the consumers.
import { EventEmitter } from 'node:events';
import type { CityId, KindName } from '../catalog/schema.ts';
import type { AlertRecord } from '../storage/alerts.ts';
import type { AlertNote } from '../storage/alertWork.ts';

export interface DeviceRef {
  deviceId: string;
  kind: KindName;
  city: CityId;
  ward: string;
}

/** One message's readings: every metric shares the message's time. */
export interface ReadingEvent extends DeviceRef {
  ts: Date;
  seq: number | undefined;
  metrics: Record<string, number>;
  /** `metrics` as JSON when ingest has it already (the payload's own text), to send on as it is. */
  metricsJson?: string;
  /** Older than the late threshold when it arrived (a backlog): store it, but do not alert as if live. */
  late: boolean;
  receivedAt: Date;
}

export interface StatusEvent extends DeviceRef {
  ts: Date;
  online: boolean;
  /** True when the broker published the device's last will (the connection dropped without goodbye). */
  lastWill: boolean;
  details: Record<string, unknown>;
}

export interface DeviceEventEvent extends DeviceRef {
  ts: Date;
  type: string;
  data: Record<string, unknown>;
}

export interface DeadLetterEvent {
  deviceId: string | null;
  topic: string;
  reason: string;
}

export interface AlertEvent {
  /** The three state changes, then work on the alert that leaves its state as it is. */
  action: 'opened' | 'acknowledged' | 'resolved' | 'assigned' | 'unassigned' | 'noted';
  alert: AlertRecord;
  /** With `noted` only. */
  note?: AlertNote;
}

export interface AqiEvent {
  deviceId: string;
  city: string;
  ward: string;
  kind: string;
  hourStart: Date;
  aqi: number;
  dominant: string;
  band: number;
  vi: string;
  en: string;
  colour: string;
}

export interface BusEvents {
  reading: [ReadingEvent];
  status: [StatusEvent];
  deviceEvent: [DeviceEventEvent];
  deadLetter: [DeadLetterEvent];
  /** Registry changes, so caches elsewhere (broker auth, live state) stay true without polling. */
  deviceChanged: [{ deviceId: string; change: 'created' | 'updated' | 'deleted' | 'credentials' }];
  /** Every alert transition, never coalesced: live clients and webhooks take it from here. */
  alert: [AlertEvent];
  rulesChanged: [];
  /** An admin changed the areas and units, or the device profiles, on this instance. */
  placesChanged: [];
  profilesChanged: [];
  /** An environment station's hourly VN_AQI, when an hour completes. */
  aqi: [AqiEvent];
}

export class EventBus extends EventEmitter<BusEvents> {
  constructor() {
    super({ captureRejections: false });
    // Many areas subscribe; the default limit of 10 is a leak detector for UI code, not for a bus.
    this.setMaxListeners(100);
  }
}

export function createEventBus(): EventBus {
  return new EventBus();
}
