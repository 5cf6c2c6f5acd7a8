// The MQTT topic contract: ioc/{city}/{kind}/{deviceId}/{channel}. Shared by the broker's ACL and
// ingest, so both read a topic the same way.
import type { CityId, KindName } from '../catalog/schema.ts';

export const inboundChannels = ['telemetry', 'status', 'event'] as const;
export type InboundChannel = (typeof inboundChannels)[number];
export type Channel = InboundChannel | 'cmd';

export interface DeviceTopic {
  city: CityId;
  kind: KindName;
  deviceId: string;
  channel: Channel;
}

// Any area's and any profile's id: admins add both at run time, and ingest checks the topic against the
// device's own area and kind.
const areaId = /^[a-z0-9][a-z0-9-]{1,62}$/;
const kindId = /^[a-z][a-z0-9-]{1,62}$/;
const channels = new Set<string>([...inboundChannels, 'cmd']);

// Parsed topics by topic string: a device publishes on the same few topics all day, so the split and
// the set lookups are done once per topic, not once per message. Bounded: emptied when full, so a
// client cycling through made-up topics costs a re-parse, not memory.
const parsed = new Map<string, Readonly<DeviceTopic> | null>();
const parsedLimit = 100_000;

/** The topic's parts, or undefined when it is not a device topic. The result is shared: do not mutate it. */
export function parseTopic(topic: string): Readonly<DeviceTopic> | undefined {
  let result = parsed.get(topic);
  if (result === undefined) {
    if (parsed.size >= parsedLimit) parsed.clear();
    result = splitTopic(topic) ?? null;
    parsed.set(topic, result);
  }
  return result ?? undefined;
}

function splitTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts.length !== 5 || parts[0] !== 'ioc') return undefined;
  const [, city, kind, deviceId, channel] = parts as [string, string, string, string, string];
  if (!areaId.test(city) || !kindId.test(kind) || !channels.has(channel) || deviceId.length === 0)
    return undefined;
  return Object.freeze({
    city: city as CityId,
    kind: kind as KindName,
    deviceId,
    channel: channel as Channel,
  });
}

/**
 * Whether a publish on this topic skips the batching on its way to the app: a fire sensor's, or any
 * device's event (alarm buttons). Read off the string without the parse cache: the broker's thread
 * asks it for every publish, and a lookup among tens of thousands of topics cost it more than the
 * rest of its check (bench profile). A topic that is not a device topic may answer either way; ingest
 * refuses it all the same.
 */
export function isUrgentTopic(topic: string): boolean {
  if (topic.endsWith('/event')) return true;
  if (!topic.startsWith('ioc/')) return false;
  const kindStart = topic.indexOf('/', 4) + 1;
  return kindStart > 0 && topic.startsWith('fire/', kindStart);
}

export function deviceTopic(device: { city: string; kind: string; id: string }, channel: Channel): string {
  return `ioc/${device.city}/${device.kind}/${device.id}/${channel}`;
}
