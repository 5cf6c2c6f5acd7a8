// Scenarios: a file in simulators/scenarios/ says which devices take part (groups), what happens to
// them and when (steps, in simulated seconds from the start), and what the IOC must show afterwards
// (expect). replayScenario() plays one against a broker at any speed; its test asserts the `expect`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Catalog } from '../src/catalog/index.ts';
import { createClock, replayStart, type SimClock } from './clock.ts';
import type { SimulatedDevice } from './device.ts';
import { type RunningFleet, runFleet, type SimulatedDeviceCredentials } from './fleet.ts';

export const scenariosDir = new URL('./scenarios/', import.meta.url).pathname;

const Selector = z
  .object({
    kind: z.string(),
    /** A unit in force (the fleet's `ward`), e.g. `phuong-tan-ninh`. */
    ward: z.string().optional(),
    /**
     * A ward abolished on 1 July 2025, kept in the fleet as `wardBefore2025`: a neighbourhood inside
     * the unit it went into, so a scenario can still tell Phường 1 from Phường 3 within Tân Ninh.
     */
    wardBefore2025: z.string().optional(),
    /** Devices within `withinM` metres of this device (itself excluded). */
    near: z.string().optional(),
    withinM: z.number().positive().optional(),
    limit: z.number().int().positive().optional(),
  })
  .strict();

const Step = z
  .object({
    at: z.number().min(0).describe('simulated seconds from the start'),
    group: z.string(),
    note: z.string().optional(),
    set: z.record(z.string(), z.number()).optional(),
    ramp: z.record(z.string(), z.tuple([z.number(), z.number()])).optional(),
    overS: z.number().min(0).optional(),
    noise: z.record(z.string(), z.number().min(0)).optional(),
    clear: z.union([z.literal(true), z.array(z.string())]).optional(),
    event: z.object({ type: z.string(), data: z.record(z.string(), z.unknown()).default({}) }).optional(),
    network: z.enum(['down', 'up']).optional(),
    silent: z.boolean().optional(),
    raw: z
      .object({
        topic: z
          .string()
          .describe('a channel (telemetry, status, event, …) or a whole topic; {id} is the device id'),
        text: z.string().optional(),
        json: z.unknown().optional(),
        bytes: z.number().int().positive().optional().describe('a JSON reading padded to this size'),
      })
      .optional(),
  })
  .strict();

const ExpectedAlert = z
  .object({ rule: z.string(), group: z.string(), state: z.enum(['open', 'resolved']) })
  .strict();

export const Scenario = z
  .object({
    name: z.string(),
    title: z.object({ vi: z.string(), en: z.string() }),
    /** What the IOC should show, for the operator watching a replay. */
    shows: z.object({ vi: z.string(), en: z.string() }),
    city: z.enum(['tay-ninh', 'hoi-an']),
    /** Local time of day (Asia/Ho_Chi_Minh, "HH:MM") the scenario starts at; default: it ends now. */
    startLocal: z
      .string()
      .regex(/^\d\d:\d\d$/)
      .optional(),
    durationS: z.number().positive(),
    /** The speed the automated replay test uses. */
    testSpeed: z.number().positive(),
    groups: z.record(z.string(), z.union([z.array(z.string()).min(1), Selector])),
    steps: z.array(Step),
    expect: z
      .object({
        alerts: z.array(ExpectedAlert),
        deadLetters: z.record(z.string(), z.number().int().min(0)).default({}),
        /** Every reading the devices sent is stored (at its own time). */
        noLoss: z.boolean().default(true),
      })
      .strict(),
  })
  .strict();
export type Scenario = z.infer<typeof Scenario>;
export type ScenarioStep = z.infer<typeof Step>;

export function listScenarios(): string[] {
  return readdirSync(scenariosDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadScenario(name: string): Scenario {
  const path = name.endsWith('.json') ? name : join(scenariosDir, `${name}.json`);
  const parsed = Scenario.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success)
    throw new Error(
      `${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  for (const step of parsed.data.steps)
    if (!(step.group in parsed.data.groups))
      throw new Error(`${path}: step at ${step.at} s names unknown group ${step.group}`);
  return parsed.data;
}

const metres = (a: { lat: number; lon: number }, b: { lat: number; lon: number }) => {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.sqrt(x * x + y * y) * 6_371_000;
};

/** Device ids per group, from the city's fleet in devices/fleets. */
export function resolveGroups(scenario: Scenario, catalog: Catalog): Map<string, string[]> {
  const fleet = catalog.fleets.get(scenario.city);
  if (!fleet) throw new Error(`no fleet for ${scenario.city}`);
  const byId = new Map(fleet.devices.map((d) => [d.id, d]));
  const groups = new Map<string, string[]>();
  for (const [name, spec] of Object.entries(scenario.groups)) {
    if (Array.isArray(spec)) {
      for (const id of spec)
        if (!byId.has(id)) throw new Error(`${scenario.name}: ${id} is not in the ${scenario.city} fleet`);
      groups.set(name, spec);
      continue;
    }
    const centre = spec.near ? byId.get(spec.near) : undefined;
    if (spec.near && !centre)
      throw new Error(`${scenario.name}: ${spec.near} is not in the ${scenario.city} fleet`);
    if (spec.ward && !fleet.wards.some((w) => w.id === spec.ward))
      throw new Error(
        `${scenario.name}: group ${name}: ${spec.ward} is not a unit in force in ${scenario.city} ` +
          `(${fleet.wards.map((w) => w.id).join(', ')}); a former ward goes in wardBefore2025`,
      );
    let ids = fleet.devices
      .filter(
        (d) =>
          d.kind === spec.kind &&
          (!spec.ward || d.ward === spec.ward) &&
          (!spec.wardBefore2025 || d.wardBefore2025 === spec.wardBefore2025),
      )
      .filter((d) => !centre || (d.id !== centre.id && metres(centre, d) <= (spec.withinM ?? 50)))
      .sort((a, b) => (centre ? metres(centre, a) - metres(centre, b) : a.id.localeCompare(b.id)))
      .map((d) => d.id);
    if (spec.limit) ids = ids.slice(0, spec.limit);
    if (ids.length === 0) throw new Error(`${scenario.name}: group ${name} selects no device`);
    groups.set(name, ids);
  }
  return groups;
}

function applyStep(step: ScenarioStep, device: SimulatedDevice) {
  if (step.clear) device.clearOverrides(step.clear === true ? undefined : step.clear);
  if (step.set || step.ramp || step.noise) device.override(step.set ?? {}, step.ramp, step.overS, step.noise);
  if (step.silent !== undefined) device.silent = step.silent;
  if (step.network === 'down') device.networkDown();
  if (step.network === 'up') device.networkUp();
  if (step.event) device.event(step.event.type, step.event.data);
  if (step.raw) {
    const topic = step.raw.topic.replaceAll('{id}', device.id);
    let payload: string | Buffer = step.raw.text ?? JSON.stringify(step.raw.json ?? {});
    if (step.raw.bytes) {
      const reading = JSON.stringify({ ts: Date.now(), metrics: {}, padding: '' });
      payload = reading.replace(
        '"padding":""',
        `"padding":"${'x'.repeat(Math.max(0, step.raw.bytes - reading.length))}"`,
      );
    }
    device.raw(topic, payload);
  }
}

export interface Replay {
  fleet: RunningFleet;
  clock: SimClock;
  groups: Map<string, string[]>;
  /** Simulated start and end (ms since the epoch). */
  startMs: number;
  endMs: number;
  /** Resolves when the last simulated second has passed; the devices stop reporting but stay connected until the fleet stops. */
  finished: Promise<void>;
}

export interface ReplayOptions {
  scenario: Scenario;
  catalog: Catalog;
  mqttUrl: string;
  /** Credentials of at least the scenario's devices. */
  credentials: SimulatedDeviceCredentials[];
  speed: number;
  seed?: number;
  qos?: 0 | 1;
  /** Ignore the scenario's time of day and end now. */
  endNow?: boolean;
  onStep?(step: ScenarioStep, simMs: number): void;
}

export function replayScenario(options: ReplayOptions): Replay {
  const { scenario, speed } = options;
  const groups = resolveGroups(scenario, options.catalog);
  const ids = new Set([...groups.values()].flat());
  const byId = new Map(options.credentials.map((c) => [c.id, c]));
  const missing = [...ids].filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw new Error(`no credentials for ${missing.join(', ')}; run npm run fleet:load first`);
  const durationMs = scenario.durationS * 1000;
  const startMs = replayStart(durationMs, speed, options.endNow ? undefined : scenario.startLocal);
  const clock = createClock(startMs, speed);
  const fleet = runFleet({
    mqttUrl: options.mqttUrl,
    devices: [...ids].map((id) => byId.get(id)!),
    catalog: options.catalog,
    qos: options.qos ?? 1,
    seed: options.seed ?? 1,
    clock,
    connectRate: 1_000,
  });
  const timers: NodeJS.Timeout[] = [];
  const finished = new Promise<void>((done) => {
    const at = (simMs: number, run: () => void) =>
      timers.push(setTimeout(run, clock.realDelay(startMs + simMs - clock.now())));
    for (const step of scenario.steps) {
      at(step.at * 1000, () => {
        options.onStep?.(step, clock.now());
        for (const id of groups.get(step.group)!) applyStep(step, fleet.devices.get(id)!);
      });
    }
    at(durationMs, () => {
      fleet.pause();
      done();
    });
  });
  return { fleet, clock, groups, startMs, endMs: startMs + durationMs, finished };
}
