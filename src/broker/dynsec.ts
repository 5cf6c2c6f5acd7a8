// Provisioning into Mosquitto's dynamic-security plugin (mosquitto.org/documentation/dynamic-security):
// the IOC publishes commands to $CONTROL/dynamic-security/v1 as an admin account and reads the answers
// on .../response. Each device gets a client (username = client id = device id, its secret as password)
// and a role of its own allowing exactly the MQTT contract (src/ingest/topics.ts): publish its telemetry, status
// and event topics, subscribe to its cmd topic. Mosquitto 2.0 has no %c substitution in dynsec ACLs, so
// the role is per device. The IOC's ingest account gets a role for the shared subscriptions and cmd.
// The default ACL access is deny for publishing and subscribing: nothing is allowed that was not given.
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Config } from '../config.ts';
import { deviceTopic, inboundChannels } from '../ingest/topics.ts';
import type { Logger } from '../log.ts';
import type { AccountDevice, BrokerAccounts } from '../registry/brokerAccounts.ts';

const controlTopic = '$CONTROL/dynamic-security/v1';
const responseTopic = `${controlTopic}/response`;
/** Commands per control message: Mosquitto saves its JSON file once per message, not per command. */
const commandsPerMessage = 200;
const answerTimeoutMs = 15_000;

export const deviceRole = (deviceId: string) => `ioc-device-${deviceId}`;
export const ingestRole = 'ioc-ingest';

type Command = Record<string, unknown> & { command: string };
interface Answer {
  command: string;
  error?: string;
  data?: unknown;
  correlationData?: string;
}

type DynsecConfig = Pick<
  Config,
  | 'MQTT_URL'
  | 'MQTT_DYNSEC_ADMIN_USERNAME'
  | 'MQTT_DYNSEC_ADMIN_PASSWORD'
  | 'MQTT_INGEST_USERNAME'
  | 'MQTT_INGEST_PASSWORD'
  | 'MQTT_SHARED_GROUP'
  | 'INSTANCE_ID'
>;

export function deviceAcls(device: AccountDevice) {
  return [
    ...inboundChannels.map((channel) => ({
      acltype: 'publishClientSend',
      topic: deviceTopic(device, channel),
      allow: true,
    })),
    { acltype: 'subscribeLiteral', topic: deviceTopic(device, 'cmd'), allow: true },
    { acltype: 'publishClientReceive', topic: deviceTopic(device, 'cmd'), allow: true },
  ];
}

export function ingestAcls(group: string) {
  return [
    // Mosquitto checks a shared subscription both with and without its $share/<group>/ prefix,
    // depending on the version: allow both forms of exactly these filters.
    ...inboundChannels.flatMap((channel) => [
      { acltype: 'subscribePattern', topic: `$share/${group}/ioc/+/+/+/${channel}`, allow: true },
      { acltype: 'subscribePattern', topic: `ioc/+/+/+/${channel}`, allow: true },
    ]),
    { acltype: 'publishClientReceive', topic: 'ioc/#', allow: true },
    { acltype: 'publishClientSend', topic: 'ioc/+/+/+/cmd', allow: true },
  ];
}

export class DynsecError extends Error {
  override name = 'DynsecError';
}

export function createDynsecAccounts(deps: { config: DynsecConfig; log: Logger }): BrokerAccounts & {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Sends commands and returns the broker's answer to each, in order. */
  run(commands: Command[]): Promise<Answer[]>;
} {
  const { config, log } = deps;
  let client: MqttClient | undefined;
  const waiting = new Map<string, { ok: (a: Answer) => void; timer: NodeJS.Timeout }>();

  function onResponse(_topic: string, payload: Buffer) {
    let answers: Answer[];
    try {
      answers = (JSON.parse(payload.toString('utf8')) as { responses?: Answer[] }).responses ?? [];
    } catch {
      return;
    }
    for (const answer of answers) {
      const entry = answer.correlationData ? waiting.get(answer.correlationData) : undefined;
      if (!entry) continue;
      waiting.delete(answer.correlationData!);
      clearTimeout(entry.timer);
      entry.ok(answer);
    }
  }

  async function run(commands: Command[]): Promise<Answer[]> {
    const c = client;
    if (!c?.connected) throw new DynsecError('not connected to the broker as the dynamic-security admin');
    const answers: Array<Promise<Answer>> = [];
    for (let i = 0; i < commands.length; i += commandsPerMessage) {
      const chunk = commands.slice(i, i + commandsPerMessage).map((command) => {
        const correlationData = randomUUID();
        answers.push(
          new Promise<Answer>((ok, fail) => {
            const timer = setTimeout(() => {
              waiting.delete(correlationData);
              fail(new DynsecError(`the broker did not answer ${command.command} in time`));
            }, answerTimeoutMs);
            waiting.set(correlationData, { ok, timer });
          }),
        );
        return { ...command, correlationData };
      });
      await c.publishAsync(controlTopic, JSON.stringify({ commands: chunk }), { qos: 1 });
    }
    return Promise.all(answers);
  }

  /** Runs commands; errors matching `tolerated` (e.g. "already exists") are not failures. */
  async function runChecked(commands: Command[], tolerated?: RegExp): Promise<Answer[]> {
    const answers = await run(commands);
    const failed = answers.filter((a) => a.error && !tolerated?.test(a.error));
    if (failed.length > 0) {
      throw new DynsecError(
        `the broker refused ${failed.length} dynamic-security command(s): ${failed
          .slice(0, 3)
          .map((a) => `${a.command}: ${a.error}`)
          .join('; ')}`,
      );
    }
    return answers;
  }

  async function provision(devices: Array<{ device: AccountDevice; secret: string }>) {
    if (devices.length === 0) return;
    // Roles first (a client refers to its role), then clients; leftovers of an earlier device with the
    // same id are brought to the new secret and rights instead of failing.
    const roles = devices.map(({ device }) => ({
      command: 'createRole',
      rolename: deviceRole(device.id),
      acls: deviceAcls(device),
    }));
    const roleAnswers = await runChecked(roles, /already exists/i);
    const staleRoles = devices.filter((_, i) => roleAnswers[i]?.error);
    if (staleRoles.length > 0) {
      // Same id, maybe another city or kind: replace the role's rights.
      await runChecked(
        staleRoles.map(({ device }) => ({ command: 'deleteRole', rolename: deviceRole(device.id) })),
      );
      await runChecked(
        staleRoles.map(({ device }) => ({
          command: 'createRole',
          rolename: deviceRole(device.id),
          acls: deviceAcls(device),
        })),
      );
    }
    const clients = devices.map(({ device, secret }) => ({
      command: 'createClient',
      username: device.id,
      clientid: device.id,
      password: secret,
      roles: [{ rolename: deviceRole(device.id) }],
    }));
    const clientAnswers = await runChecked(clients, /already exists/i);
    const staleClients = devices.filter((_, i) => clientAnswers[i]?.error);
    if (staleClients.length > 0) {
      await runChecked(staleClients.map(({ device }) => ({ command: 'deleteClient', username: device.id })));
      await runChecked(clients.filter((_, i) => clientAnswers[i]?.error));
    }
  }

  return {
    run,
    async start() {
      const c = mqtt.connect(config.MQTT_URL!, {
        clientId: `ioc-dynsec-${config.INSTANCE_ID}`,
        username: config.MQTT_DYNSEC_ADMIN_USERNAME,
        password: config.MQTT_DYNSEC_ADMIN_PASSWORD,
        clean: true,
        reconnectPeriod: 1_000,
        connectTimeout: 10_000,
      });
      client = c;
      c.on('message', onResponse);
      c.on('error', (error) => log.warn({ err: error }, 'dynamic-security admin connection error'));
      await new Promise<void>((ok, fail) => {
        const onError = (error: Error) => {
          c.end(true);
          fail(new DynsecError(`could not log in as MQTT_DYNSEC_ADMIN_USERNAME: ${error.message}`));
        };
        c.once('error', onError);
        c.once('connect', () => {
          c.off('error', onError);
          ok();
        });
      });
      // Subscribing again on every reconnect (clean session) keeps the answers coming.
      c.on('connect', () => void c.subscribeAsync(responseTopic, { qos: 1 }).catch(() => {}));
      const [granted] = await c.subscribeAsync(responseTopic, { qos: 1 });
      if (!granted || granted.qos > 2)
        throw new DynsecError(`${config.MQTT_DYNSEC_ADMIN_USERNAME} may not read ${responseTopic}`);
      await runChecked([
        {
          command: 'setDefaultACLAccess',
          acls: [
            { acltype: 'publishClientSend', allow: false },
            { acltype: 'publishClientReceive', allow: true },
            { acltype: 'subscribe', allow: false },
            { acltype: 'unsubscribe', allow: true },
          ],
        },
      ]);
      // The IOC's own account: created or brought up to date, so a fresh broker needs no manual step.
      const group = config.MQTT_SHARED_GROUP;
      const roleAnswer = await runChecked(
        [{ command: 'createRole', rolename: ingestRole, acls: ingestAcls(group) }],
        /already exists/i,
      );
      if (roleAnswer[0]?.error) {
        await runChecked(
          ingestAcls(group).map((acl) => ({ command: 'addRoleACL', rolename: ingestRole, ...acl })),
          /already exists/i,
        );
      }
      if (config.MQTT_INGEST_USERNAME && config.MQTT_INGEST_PASSWORD) {
        const created = await runChecked(
          [
            {
              command: 'createClient',
              username: config.MQTT_INGEST_USERNAME,
              password: config.MQTT_INGEST_PASSWORD,
              roles: [{ rolename: ingestRole }],
            },
          ],
          /already exists/i,
        );
        if (created[0]?.error) {
          await runChecked([
            {
              command: 'setClientPassword',
              username: config.MQTT_INGEST_USERNAME,
              password: config.MQTT_INGEST_PASSWORD,
            },
          ]);
          const [current] = await runChecked([
            { command: 'getClient', username: config.MQTT_INGEST_USERNAME },
          ]);
          const roles = (current?.data as { client?: { roles?: Array<{ rolename?: string }> } } | undefined)
            ?.client?.roles;
          if (!roles?.some((r) => r.rolename === ingestRole)) {
            await runChecked([
              { command: 'addClientRole', username: config.MQTT_INGEST_USERNAME, rolename: ingestRole },
            ]);
          }
        }
      }
      log.info({ ingestAccount: config.MQTT_INGEST_USERNAME }, 'Mosquitto dynamic security ready');
    },
    async stop() {
      for (const { timer } of waiting.values()) clearTimeout(timer);
      waiting.clear();
      await client?.endAsync().catch(() => {});
      client = undefined;
    },
    provision,
    async rotate(device, secret) {
      const [answer] = await runChecked(
        [{ command: 'setClientPassword', username: device.id, password: secret }],
        /not found/i,
      );
      // A device registered before the switch to this broker has no account yet: create it.
      if (answer?.error) await provision([{ device, secret }]);
    },
    async setDisabled(deviceId, disabled) {
      await runChecked([{ command: disabled ? 'disableClient' : 'enableClient', username: deviceId }]);
    },
    async remove(deviceId) {
      await runChecked(
        [
          { command: 'deleteClient', username: deviceId },
          { command: 'deleteRole', rolename: deviceRole(deviceId) },
        ],
        /not found/i,
      );
    },
    async list() {
      const [answer] = await runChecked([{ command: 'listClients', verbose: false, count: -1, offset: 0 }]);
      const names = (answer?.data as { clients?: unknown[] } | undefined)?.clients ?? [];
      return new Set(names.filter((n): n is string => typeof n === 'string'));
    },
  };
}
