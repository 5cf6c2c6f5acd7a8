// The MQTT topic contract: ioc/{city}/{kind}/{deviceId}/{channel}. Shared by the broker's ACL and
// ingest, so both read a topic the same way.
import { type CityId, cityIds, type KindName, kindNames } from '../catalog/schema.ts';

export const inboundChannels = ['telemetry', 'status', 'event'] as const;
export type InboundChannel = (typeof inboundChannels)[number];
export type Channel = InboundChannel | 'cmd';

export interface DeviceTopic {
  city: CityId;
  kind: KindName;
  deviceId: string;
  channel: Channel;
}

const cities = new Set<string>(cityIds);
const kinds = new Set<string>(kindNames);
const channels = new Set<string>([...inboundChannels, 'cmd']);

export function parseTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'ioc') return undefined;
  const [, city, kind, deviceId, channel] = parts as [string, string, string, string, string];
  if (!cities.has(city) || !kinds.has(kind) || !channels.has(channel) || deviceId.length === 0)
    return undefined;
  return { city: city as CityId, kind: kind as KindName, deviceId, channel: channel as Channel };
}

export function deviceTopic(device: { city: string; kind: string; id: string }, channel: Channel): string {
  return `ioc/${device.city}/${device.kind}/${device.id}/${channel}`;
}
