// One simulated device behaving like field hardware: its own MQTT link with its own credentials and
// last will, a retained status on every (re)connect, telemetry at its reporting interval with jitter,
// readings kept while the network is down and sent as arrays when it returns (store and forward),
// obedience to `cmd` (set_lamp changes what the lamp reports next) answered by `cmd_result`.
// Scenarios steer it through the few methods at the bottom.
import type { KindDefinition, KindName } from '../src/catalog/schema.ts';
import type { SimClock } from './clock.ts';
import { type DeviceState, sample } from './models.ts';
import type { MqttLink } from './mqttLink.ts';
import type { Random } from './random.ts';

export interface FleetStats {
  /** Telemetry messages sent (a backlog array counts once). */
  published: number;
  /** Readings sent, inside single messages or backlog arrays. */
  readings: number;
  acknowledged: number;
  errors: number;
  commands: number;
  /** Readings lost on the radio on purpose (--drop). */
  dropped: number;
  reconnects: number;
  /** Malformed messages sent by scenarios. */
  garbage: number;
}

/** What every device of a fleet shares. */
export interface DeviceContext {
  clock: SimClock;
  qos: 0 | 1;
  stats: FleetStats;
  /** Probability that a reading is lost on the radio. */
  dropRate: number;
  /** Probability, per reading, that the link drops for a moment (a reconnect follows). */
  linkDropRate: number;
  stopped: boolean;
}

interface Ramp {
  from: number;
  to: number;
  startMs: number;
  endMs: number;
}

const backlogChunk = 60;
const backlogLimit = 5_000;
const fw = '1.4.2';

export class SimulatedDevice {
  link!: MqttLink;
  private timer: NodeJS.Timeout | undefined;
  private seq = 0;
  private lastTs = 0;
  private overrides: Record<string, number | Ramp> | undefined;
  private noise: Record<string, number> | undefined;
  private outbox: Array<[string, string | Buffer]> | undefined;
  private backlog: Array<{ ts: number; seq: number; metrics: Record<string, number> }> | undefined;
  /** Network down on purpose (scenario outage): no reconnect until it returns. */
  held = false;
  /** Powered but not reporting telemetry (a hung camera firmware). */
  silent = false;
  /** Readings that reached the broker's socket, for "no loss" checks. */
  readingsSent = 0;

  readonly kind: KindName;

  constructor(
    readonly id: string,
    /** The device's profile: its kind, and what a kind without a hand-written model walks within. */
    readonly profile: KindDefinition,
    readonly prefix: string,
    readonly state: DeviceState,
    private readonly random: Random,
    /** Simulated milliseconds between readings. */
    private readonly intervalMs: number,
    private readonly context: DeviceContext,
  ) {
    this.kind = profile.kind;
  }

  /** Starts reporting after `firstDelayMs` of real time (the fleet spreads devices over the interval). */
  schedule(firstDelayMs: number) {
    this.timer = setTimeout(() => this.tick(), firstDelayMs);
  }

  unschedule() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private next() {
    if (this.context.stopped) return;
    const jitter = 1 + this.random.between(-0.1, 0.1);
    this.timer = setTimeout(() => this.tick(), this.context.clock.realDelay(this.intervalMs * jitter));
  }

  private tick() {
    this.next();
    this.report();
  }

  /** Takes and sends (or keeps, when offline) one reading now. */
  report() {
    if (this.silent) return;
    // Two readings of one device never share a ts (the IOC would keep one): at high speed they could.
    const now = Math.max(this.context.clock.now(), this.lastTs + 1);
    this.lastTs = now;
    const metrics = sample(
      this.kind,
      this.state,
      new Date(now),
      this.intervalMs / 1000,
      this.random,
      this.profile,
    );
    if (this.overrides) this.applyOverrides(metrics, now);
    const reading = { ts: now, seq: ++this.seq, metrics };
    const { stats } = this.context;
    if (this.context.dropRate > 0 && this.random.chance(this.context.dropRate)) {
      stats.dropped++;
      return;
    }
    if (!this.link.connected) {
      this.backlog ??= [];
      if (this.backlog.length >= backlogLimit) this.backlog.shift();
      this.backlog.push(reading);
      return;
    }
    this.send(reading);
    if (this.context.linkDropRate > 0 && this.random.chance(this.context.linkDropRate)) {
      stats.reconnects++;
      this.link.drop();
    }
  }

  private send(payload: object | object[]) {
    const { stats } = this.context;
    const count = Array.isArray(payload) ? payload.length : 1;
    stats.published++;
    stats.readings += count;
    this.readingsSent += count;
    this.link.publish(
      `${this.prefix}telemetry`,
      JSON.stringify(payload),
      this.context.qos,
      false,
      (error) => {
        if (error) stats.errors++;
        else stats.acknowledged++;
      },
    );
  }

  /** Called by the link: announce ourselves, listen for commands, send what waited. */
  onConnected() {
    this.link.publish(
      `${this.prefix}status`,
      JSON.stringify({
        ts: this.context.clock.now(),
        online: true,
        ...(this.kind === 'waste' ? { battery_pct: Math.round(this.state.batteryPct) } : {}),
        rssi_dbm: Math.round(this.random.between(-95, -55)),
        fw,
      }),
      1,
      true,
    );
    this.link.subscribe(`${this.prefix}cmd`);
    const outbox = this.outbox;
    this.outbox = undefined;
    for (const [topic, payload] of outbox ?? []) this.link.publish(topic, payload, 1);
    const backlog = this.backlog;
    this.backlog = undefined;
    if (backlog)
      for (let i = 0; i < backlog.length; i += backlogChunk) this.send(backlog.slice(i, i + backlogChunk));
  }

  onCommand(payload: Buffer) {
    this.context.stats.commands++;
    let id: string | undefined;
    let ok = false;
    let detail = 'unknown command';
    try {
      const cmd = JSON.parse(payload.toString()) as {
        id?: string;
        name?: string;
        args?: Record<string, unknown>;
      };
      id = cmd.id;
      if (cmd.name === 'set_lamp' && this.kind === 'streetlight') {
        if (typeof cmd.args?.on === 'boolean') this.state.lampOn = cmd.args.on;
        if (typeof cmd.args?.dim_pct === 'number')
          this.state.dimPct = Math.min(100, Math.max(0, cmd.args.dim_pct));
        ok = true;
        detail = 'applied';
      } else if (cmd.name === 'reboot' && this.kind === 'camera') {
        // A reboot takes the camera off the air for a moment; it reports again on reconnect.
        ok = true;
        detail = 'rebooting';
        setTimeout(() => this.link.drop(), 100);
      } else if (cmd.name === 'ping') {
        ok = true;
        detail = 'pong';
      }
    } catch {
      detail = 'command is not JSON';
    }
    this.event('cmd_result', { ok, detail }, id);
  }

  // —— what scenarios steer ——

  /** Fixed values (or linear ramps over simulated time) replacing the model's, until cleared. */
  override(
    set: Record<string, number>,
    ramp: Record<string, [number, number]> = {},
    overS = 0,
    noise: Record<string, number> = {},
  ) {
    const now = this.context.clock.now();
    this.overrides ??= {};
    if (Object.keys(noise).length > 0) this.noise = { ...this.noise, ...noise };
    Object.assign(this.overrides, set);
    for (const [metric, [from, to]] of Object.entries(ramp)) {
      this.overrides[metric] = { from, to, startMs: now, endMs: now + overS * 1000 };
    }
  }

  clearOverrides(metrics?: string[]) {
    if (!metrics) {
      this.overrides = undefined;
      this.noise = undefined;
      return;
    }
    for (const m of metrics) {
      if (this.overrides) delete this.overrides[m];
      if (this.noise) delete this.noise[m];
    }
  }

  private applyOverrides(metrics: Record<string, number>, now: number) {
    for (const [metric, value] of Object.entries(this.overrides!)) {
      if (typeof value === 'number') metrics[metric] = value;
      else {
        const f =
          value.endMs <= value.startMs
            ? 1
            : Math.min(1, Math.max(0, (now - value.startMs) / (value.endMs - value.startMs)));
        metrics[metric] = Math.round((value.from + (value.to - value.from) * f) * 100) / 100;
      }
      // A noisy sensor scatters around the value it is made to read.
      const spread = this.noise?.[metric];
      if (spread)
        metrics[metric] = Math.round((metrics[metric]! + this.random.between(-spread, spread)) * 10) / 10;
    }
  }

  event(type: string, data: Record<string, unknown>, id?: string) {
    this.sendOrKeep(
      `${this.prefix}event`,
      JSON.stringify({ ts: this.context.clock.now(), type, ...(id === undefined ? {} : { id }), data }),
    );
  }

  /** Events and raw messages wait for the link like readings do: none is lost to a slow connect. */
  private sendOrKeep(topic: string, payload: string | Buffer) {
    if (this.link.connected) this.link.publish(topic, payload, 1);
    else {
      this.outbox ??= [];
      this.outbox.push([topic, payload]);
    }
  }

  /** The network goes away (no goodbye: the broker publishes the last will) and readings pile up. */
  networkDown() {
    this.held = true;
    this.link.drop();
  }

  networkUp() {
    this.held = false;
    this.link.open();
  }

  /** Sends exactly these bytes on `topic` (a channel name is put under the device's own prefix). */
  raw(topic: string, payload: string | Buffer) {
    this.context.stats.garbage++;
    const full = topic.includes('/') ? topic : `${this.prefix}${topic}`;
    this.sendOrKeep(full, payload);
  }
}
