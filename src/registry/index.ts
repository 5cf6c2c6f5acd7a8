// The device registry: who may connect, what kind each device is, where it stands. Kept in memory
// (every MQTT message needs it) and written through to PostgreSQL. Secrets are stored hashed; the
// clear secret is returned once, at creation or rotation.
import { createHash, timingSafeEqual } from 'node:crypto';
import { generatedSecretCost, generateSecret, hashSecret, verifySecret } from '../auth/secrets.ts';
import type { Catalog } from '../catalog/index.ts';
import { AppError } from '../errors.ts';
import type { EventBus } from '../events/bus.ts';
import { deviceTopic } from '../ingest/topics.ts';
import type { Places } from '../places/index.ts';
import type { Bilingual } from '../places/schema.ts';
import { profileError, texts as profileTexts } from '../profiles/texts.ts';
import type { DeviceFields, DeviceQueries, DeviceRow } from '../storage/devices.ts';
import type { BrokerAccounts } from './brokerAccounts.ts';
import { checkMove } from './move.ts';

export type RegisteredDevice = Omit<DeviceRow, 'secretHash'>;

/** What a device handle names: kept up to date in place by the registry, not to be changed. */
export interface HandledDevice {
  readonly id: string;
  /** The registered device; undefined once it is deleted. */
  readonly row: DeviceRow | undefined;
  /** The topic its telemetry comes on, `ioc/{city}/{kind}/{id}/telemetry`, while it is registered. */
  readonly telemetryTopic: string | undefined;
}

export interface DeviceRegistry {
  load(): Promise<void>;
  /** The cached device, or undefined when unknown. Cheap: called for every message. */
  get(id: string): DeviceRow | undefined;
  /**
   * A number for this registered device, the same for the life of the process (a device deleted and
   * registered again gets its number back) and never given to another id: the broker names an
   * authenticated connection's device by it, so each publish finds its device by array index instead
   * of by string. Undefined for a device not registered now.
   */
  handleOf(id: string): number | undefined;
  /** The device a handle names (see handleOf); undefined for a number never handed out. */
  byHandle(handle: number): HandledDevice | undefined;
  all(): IterableIterator<DeviceRow>;
  size(): number;
  /** `notice`: the unit was named by a former unit's id and taken as the unit it went into. */
  create(fields: DeviceFields): Promise<{ device: RegisteredDevice; secret: string; notice?: Bilingual }>;
  createMany(fields: DeviceFields[]): Promise<Array<{ id: string; secret: string }>>;
  update(id: string, patch: Partial<Omit<DeviceFields, 'id' | 'kind'>>): Promise<RegisteredDevice>;
  remove(id: string): Promise<void>;
  rotateCredentials(id: string): Promise<string>;
  /** Disables the device (the broker refuses its connections, reason device_disabled) or enables it. */
  setDisabled(id: string, disabled: boolean): Promise<RegisteredDevice>;
  verifyCredentials(id: string, secret: string): Promise<boolean>;
  /** Applies a status change to the cached row (the database row is written by ingest). */
  noteStatus(id: string, online: boolean, at: Date): void;
  /** Re-reads one device from the database: another instance changed it (cluster/notify.ts). */
  refresh(id: string): Promise<void>;
}

export function publicDevice(row: DeviceRow): RegisteredDevice {
  const { secretHash: _hidden, ...device } = row;
  return device;
}

const brokerUnavailable = (error: Error): never => {
  throw new AppError('NOT_READY', `the MQTT broker did not take the change: ${error.message}`);
};

const fingerprint = (secret: string) => createHash('sha256').update(secret).digest();

export function createDeviceRegistry(deps: {
  queries: DeviceQueries;
  catalog: Catalog;
  /**
   * Areas and units (src/places): a device's unit follows from its position where boundaries exist,
   * and a former unit's id is taken as the unit it went into. Without it, the fleets' wards decide.
   */
  places?: Places;
  bus: EventBus;
  /** An external broker that keeps its own device accounts (Mosquitto dynamic security). */
  accounts?: BrokerAccounts;
}): DeviceRegistry {
  const { queries, catalog, places, bus, accounts } = deps;
  const devices = new Map<string, DeviceRow>();
  // Reconnects are frequent on poor links; after one full scrypt check we remember a fast
  // fingerprint of the accepted secret, dropped whenever the credentials change.
  const verified = new Map<string, Buffer>();
  const handles = new Map<string, number>();
  const handled: Array<{ id: string; row: DeviceRow | undefined; telemetryTopic: string | undefined }> = [];

  // Every change to `devices` goes through these two, so the handles' entries follow it.
  function put(row: DeviceRow) {
    devices.set(row.id, row);
    const handle = handles.get(row.id);
    if (handle !== undefined) fill(handled[handle]!, row);
  }
  function drop(id: string) {
    devices.delete(id);
    const handle = handles.get(id);
    if (handle !== undefined) fill(handled[handle]!, undefined);
  }
  function fill(entry: (typeof handled)[number], row: DeviceRow | undefined) {
    entry.row = row;
    entry.telemetryTopic = row && deviceTopic(row, 'telemetry');
  }

  /** Refuses a kind that is not a device profile (the shipped kinds and those an admin added). */
  function checkKind(kind: string) {
    if (!catalog.kinds.has(kind))
      throw profileError('VALIDATION_FAILED', profileTexts.unknownProfile(kind, [...catalog.kinds.keys()]), {
        kind,
      });
  }

  /** The fields with the unit they stand in (see `places`); refuses an unknown area or unit. */
  function checkPlace<
    T extends Pick<DeviceFields, 'city' | 'ward'> & Partial<Pick<DeviceFields, 'lat' | 'lon'>>,
  >(fields: T): { fields: T; notice?: Bilingual } {
    if (places) {
      const place = places.placeOf(fields);
      return { fields: { ...fields, ward: place.ward }, ...(place.notice ? { notice: place.notice } : {}) };
    }
    if (!catalog.hasWard(fields.city, fields.ward)) {
      throw new AppError(
        'VALIDATION_FAILED',
        `ward "${fields.ward}" is not a ward of ${fields.city}; known wards: ${catalog.wardIds(fields.city).join(', ')}`,
      );
    }
    return { fields };
  }

  return {
    async load() {
      const rows = await queries.all();
      devices.clear();
      verified.clear();
      for (const entry of handled) fill(entry, undefined);
      for (const row of rows) put(row);
    },

    get: (id) => devices.get(id),
    handleOf(id) {
      const row = devices.get(id);
      if (!row) return undefined;
      let handle = handles.get(id);
      if (handle === undefined) {
        handle = handled.length;
        handles.set(id, handle);
        const entry = { id, row: undefined, telemetryTopic: undefined };
        fill(entry, row);
        handled.push(entry);
      }
      return handle;
    },
    byHandle: (handle) => handled[handle],
    all: () => devices.values(),
    size: () => devices.size,

    async create(given) {
      checkKind(given.kind);
      const { fields, notice } = checkPlace(given);
      if (devices.has(fields.id)) throw new AppError('DEVICE_EXISTS', `device ${fields.id} already exists`);
      const secret = generateSecret();
      const secretHash = await hashSecret(secret, generatedSecretCost);
      const inserted = await queries.insertMany([{ ...fields, secretHash }]);
      if (inserted.length === 0) throw new AppError('DEVICE_EXISTS', `device ${fields.id} already exists`);
      const row = await queries.get(fields.id);
      if (!row) throw new Error(`device ${fields.id} vanished after insert`);
      if (accounts) {
        // No device the broker would refuse: without its account the registration is undone.
        await accounts.provision([{ device: row, secret }]).catch(async (error: Error) => {
          await queries.remove(row.id);
          throw new AppError(
            'NOT_READY',
            `the MQTT broker did not take the device's account: ${error.message}`,
          );
        });
      }
      put(row);
      bus.emit('deviceChanged', { deviceId: row.id, change: 'created' });
      return { device: publicDevice(row), secret, ...(notice ? { notice } : {}) };
    },

    async createMany(given) {
      for (const fields of given) checkKind(fields.kind);
      const list = given.map((fields) => checkPlace(fields).fields);
      const fresh = list.filter((d) => !devices.has(d.id));
      const withSecrets = await Promise.all(
        fresh.map(async (d) => {
          const secret = generateSecret();
          return { fields: d, secret, secretHash: await hashSecret(secret, generatedSecretCost) };
        }),
      );
      const inserted = new Set(
        await queries.insertMany(withSecrets.map((d) => ({ ...d.fields, secretHash: d.secretHash }))),
      );
      const created = withSecrets.filter((d) => inserted.has(d.fields.id));
      if (accounts) {
        await accounts
          .provision(created.map((d) => ({ device: d.fields, secret: d.secret })))
          .catch(async (error: Error) => {
            for (const d of created) await queries.remove(d.fields.id);
            throw new AppError(
              'NOT_READY',
              `the MQTT broker did not take the devices' accounts: ${error.message}`,
            );
          });
      }
      for (const row of await queries.getMany([...inserted])) put(row);
      for (const d of created) bus.emit('deviceChanged', { deviceId: d.fields.id, change: 'created' });
      return created.map((d) => ({ id: d.fields.id, secret: d.secret }));
    },

    async update(id, patch) {
      const current = devices.get(id);
      if (!current) throw new AppError('DEVICE_NOT_FOUND', `device ${id} does not exist`);
      // A unit named against the position that decides it is refused, not stored as the old unit.
      if (places) checkMove(places, current, patch);
      const place = checkPlace({
        city: patch.city ?? current.city,
        ward: patch.ward ?? current.ward,
        lat: patch.lat ?? current.lat,
        lon: patch.lon ?? current.lon,
      }).fields;
      const moved = place.ward !== current.ward || patch.ward !== undefined;
      const row = await queries.update(id, moved ? { ...patch, ward: place.ward } : patch);
      if (!row) throw new AppError('DEVICE_NOT_FOUND', `device ${id} does not exist`);
      put(row);
      bus.emit('deviceChanged', { deviceId: id, change: 'updated' });
      return publicDevice(row);
    },

    async remove(id) {
      // Off the broker first: a device the IOC no longer knows must not keep a working login.
      if (accounts && devices.has(id)) await accounts.remove(id).catch(brokerUnavailable);
      if (!(await queries.remove(id))) throw new AppError('DEVICE_NOT_FOUND', `device ${id} does not exist`);
      drop(id);
      verified.delete(id);
      bus.emit('deviceChanged', { deviceId: id, change: 'deleted' });
    },

    async rotateCredentials(id) {
      const row = devices.get(id);
      if (!row) throw new AppError('DEVICE_NOT_FOUND', `device ${id} does not exist`);
      const secret = generateSecret();
      const secretHash = await hashSecret(secret, generatedSecretCost);
      // The broker first: if it refuses, the old secret keeps working everywhere.
      if (accounts) await accounts.rotate(row, secret).catch(brokerUnavailable);
      if (!(await queries.setSecretHash(id, secretHash))) {
        throw new AppError('DEVICE_NOT_FOUND', `device ${id} does not exist`);
      }
      put({ ...row, secretHash });
      verified.delete(id);
      bus.emit('deviceChanged', { deviceId: id, change: 'credentials' });
      return secret;
    },

    async setDisabled(id, disabled) {
      if (!devices.has(id)) throw new AppError('DEVICE_NOT_FOUND', `device ${id} does not exist`);
      // An external broker keeps its own accounts: it is told first, so the two never disagree.
      if (accounts?.setDisabled) await accounts.setDisabled(id, disabled).catch(brokerUnavailable);
      const row = await queries.setDisabled(id, disabled);
      if (!row) throw new AppError('DEVICE_NOT_FOUND', `device ${id} does not exist`);
      put(row);
      bus.emit('deviceChanged', { deviceId: id, change: 'updated' });
      return publicDevice(row);
    },

    async verifyCredentials(id, secret) {
      const row = devices.get(id);
      if (!row) return false;
      const presented = fingerprint(secret);
      const known = verified.get(id);
      if (known && timingSafeEqual(known, presented)) return true;
      const hashAtStart = row.secretHash;
      const ok = await verifySecret(secret, hashAtStart);
      // Only remember the secret if the credentials were not rotated while we were hashing.
      if (ok && devices.get(id)?.secretHash === hashAtStart) verified.set(id, presented);
      return ok;
    },

    async refresh(id) {
      const row = await queries.get(id);
      verified.delete(id);
      if (row) put(row);
      else drop(id);
    },

    noteStatus(id, online, at) {
      const row = devices.get(id);
      if (row) put({ ...row, online, statusAt: at, lastSeen: at });
    },
  };
}
