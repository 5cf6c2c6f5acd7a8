// The AsyncAPI 3.0 document of the device contract: channels per topic (telemetry and cmd per kind,
// status and event shared), operations from the IOC's side, payload schemas from ./schemas.ts, examples
// from ./examples.ts, servers and default limits from the configuration schema's defaults.
import type { Catalog } from '../catalog/index.ts';
import { cityIds, kindNames, type SeededKind } from '../catalog/schema.ts';
import { commandResultType } from '../commands/catalog.ts';
import { ConfigSchema } from '../config.ts';
import { kindExamples, lastWillExample } from './examples.ts';
import { type JsonSchema, pascal, payloadSchemas, schemaNames } from './schemas.ts';
import {
  channelTexts,
  documentTexts,
  line,
  messageTexts,
  operationTexts,
  paragraphs,
  parameterTexts,
  securityTexts,
  serverTexts,
} from './texts.ts';

export interface Reference {
  $ref: string;
}
export interface MessageExample {
  name: string;
  summary: string;
  payload: unknown;
}
export interface Message {
  name: string;
  title: string;
  summary: string;
  description?: string;
  contentType: string;
  payload: Reference;
  examples: MessageExample[];
}
export interface Channel {
  address: string;
  title: string;
  description: string;
  parameters: Record<string, Reference>;
  messages: Record<string, Reference>;
}
export interface Operation {
  action: 'send' | 'receive';
  channel: Reference;
  title: string;
  summary: string;
  description: string;
  messages: Reference[];
  bindings: { mqtt: { qos: 0 | 1 | 2; retain: boolean; bindingVersion: string } };
}
export interface Server {
  host: string;
  protocol: string;
  protocolVersion: string;
  title: string;
  description: string;
  variables: Record<string, { default: string; description: string }>;
  security: Reference[];
  bindings: { mqtt: Record<string, unknown> };
}
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  servers: Record<string, Server>;
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
  components: {
    schemas: Record<string, JsonSchema>;
    messages: Record<string, Message>;
    parameters: Record<string, { description: string; enum?: string[]; examples: string[] }>;
    securitySchemes: Record<string, { type: string; description: string }>;
  };
}

/** Component and channel keys per kind: `telemetryStreetlight`, `cmdCamera`, ... */
export const channelNames = {
  telemetry: (kind: SeededKind) => `telemetry${pascal(kind)}`,
  cmd: (kind: SeededKind) => `cmd${pascal(kind)}`,
};
const messageNames = {
  telemetry: (kind: SeededKind) => `telemetry${pascal(kind)}`,
  backlog: (kind: SeededKind) => `backlog${pascal(kind)}`,
  cmd: (kind: SeededKind) => `cmd${pascal(kind)}`,
};

const mqttBinding = '0.2.0';
const ref = (path: string): Reference => ({ $ref: path });
const json = 'application/json';

/** A setting's default, read from the one configuration schema so the document cannot drift from it. */
function defaultOf(name: keyof typeof ConfigSchema.shape): unknown {
  return ConfigSchema.shape[name].parse(undefined);
}

function limits(): string {
  const rows = [
    `MQTT_MAX_PAYLOAD_BYTES: ${defaultOf('MQTT_MAX_PAYLOAD_BYTES')} bytes`,
    `INGEST_DEVICE_RATE_PER_S: ${defaultOf('INGEST_DEVICE_RATE_PER_S')} msg/s, INGEST_DEVICE_BURST: ${defaultOf('INGEST_DEVICE_BURST')}`,
    `INGEST_MAX_FUTURE_S: ${defaultOf('INGEST_MAX_FUTURE_S')} s (TS_IN_FUTURE)`,
    `INGEST_MAX_AGE_DAYS: ${defaultOf('INGEST_MAX_AGE_DAYS')} days (TS_TOO_OLD)`,
    `COMMAND_TIMEOUT_S: ${defaultOf('COMMAND_TIMEOUT_S')} s`,
  ];
  return `${line(documentTexts.limits)}:\n\n${rows.map((r) => `- ${r}`).join('\n')}`;
}

function servers(): Record<string, Server> {
  const lastWill = {
    topic: 'ioc/{city}/{kind}/{deviceId}/status',
    qos: 1,
    message: JSON.stringify(lastWillExample),
    retain: true,
  };
  const common = {
    protocolVersion: '3.1.1',
    variables: { host: { default: 'localhost', description: line(serverTexts.host) } },
    bindings: { mqtt: { clientId: '{deviceId}', lastWill, bindingVersion: mqttBinding } },
  };
  return {
    mqtt: {
      ...common,
      host: `{host}:${defaultOf('MQTT_PORT')}`,
      protocol: 'mqtt',
      title: 'MQTT',
      description: `${paragraphs(serverTexts.mqtt)}\n\n${paragraphs(serverTexts.lastWill)}`,
      security: [ref('#/components/securitySchemes/userPassword')],
    },
    mqtts: {
      ...common,
      host: `{host}:${defaultOf('MQTT_TLS_PORT')}`,
      protocol: 'secure-mqtt',
      title: 'MQTT over TLS',
      description: `${paragraphs(serverTexts.mqtts)}\n\n${paragraphs(serverTexts.lastWill)}`,
      security: [ref('#/components/securitySchemes/userPassword'), ref('#/components/securitySchemes/x509')],
    },
  };
}

const fill = (text: string, values: Record<string, string | number>) =>
  text.replace(/\{(\w+)\}/g, (whole, key: string) => String(values[key] ?? whole));

export function asyncApiDocument(kinds: Pick<Catalog, 'kind'>): AsyncApiDocument {
  // The shipped kinds, each with hand-written examples, as their profiles say now.
  const definitions = kindNames.map((name) => ({ ...kinds.kind(name), kind: name }));
  const channels: Record<string, Channel> = {};
  const operations: Record<string, Operation> = {};
  const messages: Record<string, Message> = {};
  const cityParameters = {
    city: ref('#/components/parameters/city'),
    deviceId: ref('#/components/parameters/deviceId'),
  };
  const sharedParameters = { ...cityParameters, kind: ref('#/components/parameters/kind') };
  const inbound = (retain: boolean) => ({ mqtt: { qos: 1 as const, retain, bindingVersion: mqttBinding } });
  const sampleName = (kind: SeededKind) => line(kinds.kind(kind).name);

  for (const kind of definitions) {
    const name = kind.kind;
    const examples = kindExamples[name];
    const named = { vi: kind.name.vi.toLowerCase(), en: kind.name.en.toLowerCase() };
    const telemetry = messageNames.telemetry(name);
    const backlog = messageNames.backlog(name);
    messages[telemetry] = {
      name: 'telemetry',
      title: `${line(messageTexts.telemetry)}: ${name}`,
      summary: line(kind.name),
      description: paragraphs(kind.description),
      contentType: json,
      payload: ref(`#/components/schemas/${schemaNames.telemetry(name)}`),
      examples: [{ name, summary: sampleName(name), payload: examples.telemetry }],
    };
    messages[backlog] = {
      name: 'backlog',
      title: `Backlog: ${name}`,
      summary: line(messageTexts.backlog),
      contentType: json,
      payload: ref(`#/components/schemas/${schemaNames.backlog(name)}`),
      examples: [{ name, summary: sampleName(name), payload: examples.backlog }],
    };
    const channel = channelNames.telemetry(name);
    channels[channel] = {
      address: `ioc/{city}/${name}/{deviceId}/telemetry`,
      title: `Telemetry: ${name}`,
      description: paragraphs({
        vi: fill(channelTexts.telemetry.vi, { name: named.vi, interval: kind.reportingIntervalS }),
        en: fill(channelTexts.telemetry.en, { name: named.en, interval: kind.reportingIntervalS }),
      }),
      parameters: cityParameters,
      messages: {
        telemetry: ref(`#/components/messages/${telemetry}`),
        backlog: ref(`#/components/messages/${backlog}`),
      },
    };
    operations[`receive${pascal(channel)}`] = {
      action: 'receive',
      channel: ref(`#/channels/${channel}`),
      title: `${line(operationTexts.telemetry)}: ${name}`,
      summary: line(operationTexts.telemetry),
      description: paragraphs(operationTexts.qosInbound),
      messages: [
        ref(`#/channels/${channel}/messages/telemetry`),
        ref(`#/channels/${channel}/messages/backlog`),
      ],
      bindings: inbound(false),
    };
  }

  messages.status = {
    name: 'status',
    title: line(messageTexts.status),
    summary: line(messageTexts.status),
    contentType: json,
    payload: ref(`#/components/schemas/${schemaNames.status}`),
    examples: definitions.map((k) => ({
      name: k.kind,
      summary: line(k.name),
      payload: kindExamples[k.kind].status,
    })),
  };
  messages.lastWill = {
    name: 'lastWill',
    title: 'Last will',
    summary: line(messageTexts.lastWill),
    contentType: json,
    payload: ref(`#/components/schemas/${schemaNames.status}`),
    examples: [{ name: 'last-will', summary: line(messageTexts.lastWill), payload: lastWillExample }],
  };
  channels.status = {
    address: 'ioc/{city}/{kind}/{deviceId}/status',
    title: 'Status',
    description: paragraphs(channelTexts.status),
    parameters: sharedParameters,
    messages: {
      status: ref('#/components/messages/status'),
      lastWill: ref('#/components/messages/lastWill'),
    },
  };
  operations.receiveStatus = {
    action: 'receive',
    channel: ref('#/channels/status'),
    title: line(operationTexts.status),
    summary: line(operationTexts.status),
    description: paragraphs(operationTexts.qosInbound),
    messages: [ref('#/channels/status/messages/status'), ref('#/channels/status/messages/lastWill')],
    bindings: inbound(true),
  };

  messages.event = {
    name: 'event',
    title: line(messageTexts.event),
    summary: line(messageTexts.event),
    contentType: json,
    payload: ref(`#/components/schemas/${schemaNames.event}`),
    examples: definitions.map((k) => {
      const { summary, ...payload } = kindExamples[k.kind].event;
      return { name: k.kind, summary: `${line(k.name)}: ${line(summary)}`, payload };
    }),
  };
  messages.commandResult = {
    name: commandResultType,
    title: 'Command result',
    summary: line(messageTexts.commandResult),
    contentType: json,
    payload: ref(`#/components/schemas/${schemaNames.commandResult}`),
    examples: definitions.map((k) => {
      const { cmd, commandResult } = kindExamples[k.kind];
      const payload = { ts: commandResult.ts, type: commandResultType, id: cmd.id, data: commandResult.data };
      return { name: k.kind, summary: `${line(k.name)}: ${cmd.name}`, payload };
    }),
  };
  channels.event = {
    address: 'ioc/{city}/{kind}/{deviceId}/event',
    title: 'Event',
    description: paragraphs(channelTexts.event),
    parameters: sharedParameters,
    messages: {
      event: ref('#/components/messages/event'),
      commandResult: ref('#/components/messages/commandResult'),
    },
  };
  operations.receiveEvent = {
    action: 'receive',
    channel: ref('#/channels/event'),
    title: line(operationTexts.event),
    summary: line(operationTexts.event),
    description: paragraphs(operationTexts.qosInbound),
    messages: [ref('#/channels/event/messages/event')],
    bindings: inbound(false),
  };
  operations.receiveCommandResult = {
    action: 'receive',
    channel: ref('#/channels/event'),
    title: line(operationTexts.commandResult),
    summary: line(operationTexts.commandResult),
    description: paragraphs(messageTexts.commandResult),
    messages: [ref('#/channels/event/messages/commandResult')],
    bindings: inbound(false),
  };

  for (const kind of definitions) {
    const name = kind.kind;
    const message = messageNames.cmd(name);
    const { summary, ...payload } = kindExamples[name].cmd;
    messages[message] = {
      name: 'cmd',
      title: `${line(messageTexts.cmd)}: ${name}`,
      summary: line(kind.name),
      contentType: json,
      payload: ref(`#/components/schemas/${schemaNames.cmd(name)}`),
      examples: [{ name, summary: line(summary), payload }],
    };
    const channel = channelNames.cmd(name);
    const named = { vi: kind.name.vi.toLowerCase(), en: kind.name.en.toLowerCase() };
    channels[channel] = {
      address: `ioc/{city}/${name}/{deviceId}/cmd`,
      title: `Cmd: ${name}`,
      description: paragraphs({
        vi: fill(channelTexts.cmd.vi, { name: named.vi }),
        en: fill(channelTexts.cmd.en, { name: named.en }),
      }),
      parameters: cityParameters,
      messages: { cmd: ref(`#/components/messages/${message}`) },
    };
    operations[`send${pascal(channel)}`] = {
      action: 'send',
      channel: ref(`#/channels/${channel}`),
      title: `${line(operationTexts.cmd)}: ${name}`,
      summary: line(operationTexts.cmd),
      description: paragraphs(operationTexts.qosCommand),
      messages: [ref(`#/channels/${channel}/messages/cmd`)],
      bindings: { mqtt: { qos: 1, retain: false, bindingVersion: mqttBinding } },
    };
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: line(documentTexts.title),
      version: '1.0.0',
      description: `${paragraphs(documentTexts.description)}\n\n${limits()}`,
    },
    defaultContentType: json,
    servers: servers(),
    channels,
    operations,
    components: {
      schemas: payloadSchemas(definitions),
      messages,
      parameters: {
        city: { description: line(parameterTexts.city), enum: [...cityIds], examples: ['tay-ninh'] },
        kind: { description: line(parameterTexts.kind), examples: [...kindNames] },
        deviceId: { description: line(parameterTexts.deviceId), examples: ['tn-p1-env-0001'] },
      },
      securitySchemes: {
        userPassword: { type: 'userPassword', description: paragraphs(securityTexts.userPassword) },
        x509: { type: 'X509', description: paragraphs(securityTexts.x509) },
      },
    },
  };
}
