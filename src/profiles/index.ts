// Device profiles: each device kind as data, seeded from devices/kinds at start, added and edited by
// admins through the API. Ingest validates every message against them, so they are held in memory as
// one map of compiled kinds, replaced whole when a profile changes (here, or on another instance as soon
// as it announces the change): a message is judged by the profile before or after an edit, never by half
// of one.
// Guarantees: an edit applies to the next message; a profile some device is of is not deleted.
import type { KindDefinition } from '../catalog/schema.ts';
import type { Logger } from '../log.ts';
import type { ProfileQueries, ProfileRecord } from '../storage/profiles.ts';
import type { Profile, ProfileInput, ProfileReplace } from './schema.ts';
import { defaultKindsDir, readShippedProfiles } from './seed.ts';
import { profileError, texts } from './texts.ts';

export interface Profiles {
  /** Seeds the shipped profiles (rows an admin wrote are left alone) and loads everything. */
  start(): Promise<void>;
  /** Re-reads the table: after a write on another instance. */
  reload(): Promise<void>;
  /** Re-reads the table if any row changed since the last read (true when it did). */
  refreshIfChanged(): Promise<boolean>;
  all(): readonly Profile[];
  get(id: string): Profile | undefined;
  /** The profiles compiled as the catalog's kinds; a new map after every change, never edited. */
  kinds(): ReadonlyMap<string, KindDefinition>;
  create(input: ProfileInput): Promise<Profile>;
  replace(id: string, input: ProfileReplace): Promise<Profile>;
  remove(id: string): Promise<void>;
}

/** The profile as the catalog's kind: the shape ingest, alerts, contract and simulators read. */
export function compileProfile(p: ProfileRecord): KindDefinition {
  return {
    kind: p.id,
    name: p.name,
    description: p.description,
    reportingIntervalS: p.reportingIntervalS,
    metrics: p.metrics,
    primaryMetrics: p.primaryMetrics,
    ...(p.ngsiLdType ? { ngsiLdType: p.ngsiLdType } : {}),
  };
}

export function createProfiles(deps: {
  queries: ProfileQueries;
  log: Logger;
  dir?: string;
  /** Called after each write made here, so other instances can be told (src/cluster/notify.ts). */
  changed?: () => void;
}): Profiles {
  const { queries, log, dir = defaultKindsDir, changed = () => {} } = deps;
  let seenVersion = '';
  let profiles: readonly Profile[] = [];
  let byId: ReadonlyMap<string, Profile> = new Map();
  let compiled: ReadonlyMap<string, KindDefinition> = new Map();

  async function reload() {
    const version = await queries.version();
    const rows = await queries.all();
    // Built aside and swapped in one assignment each: a message in between sees the old maps whole.
    const nextById = new Map(rows.map((p) => [p.id, p]));
    const nextCompiled = new Map(rows.map((p) => [p.id, compileProfile(p)]));
    seenVersion = version;
    profiles = rows;
    byId = nextById;
    compiled = nextCompiled;
  }

  async function refreshIfChanged(): Promise<boolean> {
    if ((await queries.version()) === seenVersion) return false;
    await reload();
    return true;
  }

  const notFound = (id: string) =>
    profileError('NOT_FOUND', texts.unknownProfile(id, [...byId.keys()]), { profile: id });

  return {
    async start() {
      await queries.seed(readShippedProfiles(dir));
      await reload();
      log.info({ profiles: profiles.length }, 'device profiles loaded');
    },
    reload,
    refreshIfChanged,
    all: () => profiles,
    get: (id) => byId.get(id),
    kinds: () => compiled,

    async create(input) {
      if (!(await queries.insert(input)))
        throw profileError('CONFLICT', texts.idTaken(input.id), { profile: input.id });
      await reload();
      changed();
      log.info({ profile: input.id }, 'device profile created');
      return byId.get(input.id)!;
    },

    async replace(id, input) {
      if (!(await queries.update({ ...input, id }))) throw notFound(id);
      await reload();
      changed();
      log.info({ profile: id }, 'device profile replaced');
      return byId.get(id)!;
    },

    async remove(id) {
      const result = await queries.remove(id);
      if (result === 'missing') throw notFound(id);
      if (!result.deleted)
        throw profileError('CONFLICT', texts.inUse(id, result.devices), {
          profile: id,
          devices: result.devices,
        });
      await reload();
      changed();
      log.info({ profile: id }, 'device profile deleted');
    },
  };
}
