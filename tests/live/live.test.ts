// The live layer with real socket.io clients: authenticated handshake, snapshot, coalesced telemetry,
// status, alerts on every transition, and subscriptions that narrow the view.
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEventWire } from '../../src/alerts/wire.ts';
import { ReadingWire, SnapshotWire } from '../../src/live/wire.ts';
import { DeviceSummaryWire } from '../../src/registry/wire.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let token: string;
const sockets: Socket[] = [];
const place = {
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.877,
  lon: 108.328,
  pole: null,
  zone: null,
} as const;
const fire = { ...place, id: 'ha-ma-fire-9401', kind: 'fire', name: 'Cảm biến cháy – Chùa Cầu' } as const;
const noise = { ...place, id: 'ha-ma-noise-9401', kind: 'noise', name: 'Tiếng ồn – Bạch Đằng' } as const;
const secrets = new Map<string, string>();

function connect(auth: Record<string, unknown>): Socket {
  const socket = io(`${app.baseUrl}/live`, { auth, transports: ['websocket'], reconnection: false });
  sockets.push(socket);
  return socket;
}
const next = <T>(socket: Socket, event: string, accept: (value: T) => boolean = () => true) =>
  new Promise<T>((ok) => {
    const listener = (value: T) => {
      if (!accept(value)) return;
      socket.off(event, listener);
      ok(value);
    };
    socket.on(event, listener);
  });

/**
 * Resolves once everything the server sent `socket` before now has reached it: the ack of a subscribe
 * (to the subscription it has) travels behind it on the same connection.
 */
const drained = (socket: Socket, subscription: Record<string, unknown>) =>
  socket.emitWithAck('subscribe', subscription);

/** Resolves once the live layer holds `value` for the device's metric and has sent its telemetry window. */
async function liveSent(deviceId: string, metric: string, value: number) {
  await eventually(
    async () => app.live.state.get(deviceId)?.metrics[metric],
    (v) => v === value,
  );
  await eventually(
    async () => app.live.pendingTelemetry(),
    (n) => n === 0,
  );
}

beforeAll(async () => {
  app = await startTestApp({ LIVE_COALESCE_MS: '100', LIVE_COALESCE_MAX_MS: '400' });
  token = (await app.login()).authorization!.slice('Bearer '.length);
  for (const d of [fire, noise]) secrets.set(d.id, (await app.registry.create(d)).secret);
});
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await app.close();
});

describe('live console feed', () => {
  it('refuses a connection without a valid token', async () => {
    const error = await next<Error>(connect({ token: 'nonsense' }), 'connect_error');
    expect(error.message).toMatch(/^UNAUTHENTICATED/);
    const missing = await next<Error>(connect({}), 'connect_error');
    expect(missing.message).toMatch(/send auth: \{ token \}/);
  });

  it('sends a snapshot of every device on connect, then coalesced telemetry', async () => {
    const socket = connect({ token });
    const snapshot = await next<any>(socket, 'snapshot');
    expect(snapshot.devices.map((d: any) => d.id).sort()).toEqual([fire.id, noise.id]);
    expect(SnapshotWire.parse(snapshot)).toEqual(snapshot);
    const entry = snapshot.devices.find((d: any) => d.id === noise.id);
    expect(entry).toMatchObject({ name: 'Tiếng ồn – Bạch Đằng', alert: null });
    // A device's fields read the same on the map as in the REST API.
    const rest = await app.request('GET', `/api/v1/devices/${noise.id}`, {
      authorization: `Bearer ${token}`,
    });
    expect(entry).toMatchObject(DeviceSummaryWire.parse(rest.body));

    // Entries for the device, batch by batch, until both metrics have arrived.
    const seen: Array<Record<string, number>> = [];
    const both = new Promise<void>((ok) =>
      socket.on('telemetry', (batch: any[]) => {
        expect(ReadingWire.array().parse(batch)).toEqual(batch);
        for (const entry of batch) if (entry.deviceId === noise.id) seen.push(entry.metrics);
        if (seen.some((m) => 'lamax_db' in m) && seen.some((m) => 'laeq_db' in m)) ok();
      }),
    );
    const sensor = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    await publish(
      sensor,
      `ioc/hoi-an/noise/${noise.id}/telemetry`,
      JSON.stringify({ metrics: { laeq_db: 61 } }),
    );
    await publish(
      sensor,
      `ioc/hoi-an/noise/${noise.id}/telemetry`,
      JSON.stringify({ metrics: { lamax_db: 80 } }),
    );
    await both;
    // Messages of one window arrive as one entry per device (at most one window boundary falls between two).
    expect(seen.length).toBeLessThanOrEqual(2);
    expect(Object.assign({}, ...seen)).toEqual({ laeq_db: 61, lamax_db: 80 });
    sensor.end(true);
  });

  it('pushes a fire alarm as an alert event at once, and the device state carries it', async () => {
    const socket = connect({ token });
    await next(socket, 'snapshot');
    const alert = next<any>(
      socket,
      'alert',
      (e) => e.alert.deviceId === fire.id && e.alert.ruleName === 'Báo cháy / Fire alarm',
    );
    const sensor = await connectDevice(app.mqttUrl, fire.id, secrets.get(fire.id)!);
    await publish(sensor, `ioc/hoi-an/fire/${fire.id}/telemetry`, JSON.stringify({ metrics: { alarm: 1 } }));
    sensor.end(true);
    const event = await alert;
    expect(event).toMatchObject({
      action: 'opened',
      alert: {
        severity: 'critical',
        state: 'open',
        message: { vi: 'Báo cháy tại Cảm biến cháy – Chùa Cầu (Phường Hội An)' },
      },
    });
    expect(app.live.state.get(fire.id)?.alert).toBe('critical');
    // The envelope webhooks send too, and the alert as the REST API shows it.
    expect(AlertEventWire.parse(event)).toEqual(event);
    expect(event).toMatchObject({ version: 1, event: 'alert.opened' });
    const rest = await app.request('GET', `/api/v1/alerts/${event.alert.id}`, {
      authorization: `Bearer ${token}`,
    });
    const { history: _history, instructions: _instructions, ...restAlert } = rest.body;
    expect(restAlert).toEqual(event.alert);
  });

  it('narrows the view on subscribe, answers with an ack and a fresh snapshot, and refuses a bad subscription', async () => {
    const socket = connect({ token });
    await next(socket, 'snapshot');
    const fresh = next<any>(socket, 'snapshot');
    const ack = await socket.emitWithAck('subscribe', { city: 'hoi-an', kinds: ['fire'] });
    expect(ack).toEqual({ ok: true, subscription: { city: 'hoi-an', kinds: ['fire'] } });
    const snapshot = await fresh;
    expect(snapshot.devices.map((d: any) => d.id)).toEqual([fire.id]);
    expect(snapshot.alerts.every((a: any) => a.kind === 'fire')).toBe(true);

    const refused = await socket.emitWithAck('subscribe', { kinds: ['toaster'] });
    expect(refused.error.code).toBe('VALIDATION_FAILED');

    // Noise telemetry no longer reaches this client.
    let leaked = false;
    socket.on('telemetry', (batch: any[]) => {
      if (batch.some((b) => b.deviceId === noise.id)) leaked = true;
    });
    const sensor = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    await publish(
      sensor,
      `ioc/hoi-an/noise/${noise.id}/telemetry`,
      JSON.stringify({ metrics: { laeq_db: 62 } }),
    );
    sensor.end(true);
    await liveSent(noise.id, 'laeq_db', 62);
    await drained(socket, { city: 'hoi-an', kinds: ['fire'] });
    expect(leaked).toBe(false);
  });
});

describe('live subscriptions and rates', () => {
  it('sends a client subscribed to one ward nothing from another', async () => {
    const elsewhere = {
      ...noise,
      id: 'ha-cp-noise-9401',
      ward: 'phuong-hoi-an-dong',
      name: 'Tiếng ồn – Hội An Đông',
    } as const;
    const secret = (await app.registry.create(elsewhere)).secret;
    const socket = connect({ token });
    await next(socket, 'snapshot');
    const fresh = next<any>(socket, 'snapshot');
    await socket.emitWithAck('subscribe', { city: 'hoi-an', wards: ['phuong-hoi-an'] });
    expect((await fresh).devices.map((d: any) => d.ward)).not.toContain('phuong-hoi-an-dong');
    const received: string[] = [];
    socket.on('telemetry', (batch: any[]) => received.push(...batch.map((b) => b.deviceId)));
    socket.on('device_status', (s: any) => received.push(s.deviceId));
    const other = await connectDevice(app.mqttUrl, elsewhere.id, secret);
    await publish(other, `ioc/hoi-an/noise/${elsewhere.id}/status`, JSON.stringify({ online: true }));
    await publish(
      other,
      `ioc/hoi-an/noise/${elsewhere.id}/telemetry`,
      JSON.stringify({ metrics: { laeq_db: 66 } }),
    );
    // Both reached the live layer before the reading this client does get: anything sent of them
    // would arrive before it.
    await eventually(
      async () => app.live.state.get(elsewhere.id),
      (d) => d?.online === true && d.metrics.laeq_db === 66,
    );
    const own = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    await publish(
      own,
      `ioc/hoi-an/noise/${noise.id}/telemetry`,
      JSON.stringify({ metrics: { laeq_db: 59 } }),
    );
    await eventually(
      async () => received,
      (ids) => ids.includes(noise.id),
    );
    other.end(true);
    own.end(true);
    expect(received).toContain(noise.id);
    expect(received).not.toContain(elsewhere.id);
  });

  it('bounds the event rate by coalescing: 200 readings in a burst arrive as a few batches', async () => {
    const socket = connect({ token });
    await next(socket, 'snapshot');
    let batches = 0;
    let entries = 0;
    let newest = '';
    socket.on('telemetry', (batch: any[]) => {
      batches++;
      entries += batch.length;
      for (const entry of batch) if (entry.deviceId === noise.id) newest = entry.ts;
    });
    const sensor = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    const started = Date.now();
    const base = Date.now() - 200;
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        publish(
          sensor,
          `ioc/hoi-an/noise/${noise.id}/telemetry`,
          JSON.stringify({ ts: base + i, metrics: { laeq_db: 50 + (i % 10) } }),
          0,
        ),
      ),
    );
    // Until the last reading (the newest) has reached the console.
    const last = new Date(base + 199).toISOString();
    await eventually(
      async () => newest,
      (ts) => ts === last,
    );
    const windows = Math.ceil((Date.now() - started) / 100) + 1; // LIVE_COALESCE_MS is 100 here
    const [seenBatches, seenEntries] = [batches, entries];
    sensor.end(true);
    expect(seenBatches).toBeGreaterThan(0);
    expect(seenBatches).toBeLessThanOrEqual(windows);
    expect(seenEntries).toBe(seenBatches); // one entry per device per batch, however many readings
  });

  it("keeps a device's values when it is renamed, and takes its next readings into the renamed device", async () => {
    const sensor = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    const topic = `ioc/hoi-an/noise/${noise.id}/telemetry`;
    const ts = Date.now() + 5_000; // newer than every reading of the tests before
    await publish(sensor, topic, JSON.stringify({ ts: ts - 1_000, metrics: { laeq_db: 62, lamax_db: 75 } }));
    await app.registry.update(noise.id, { name: 'Tiếng ồn – Bạch Đằng (cột mới)' });
    await publish(sensor, topic, JSON.stringify({ ts, metrics: { laeq_db: 63 } }));
    sensor.end(true);
    const snapshot = await next<any>(connect({ token }), 'snapshot');
    expect(snapshot.devices.find((d: any) => d.id === noise.id)).toMatchObject({
      name: 'Tiếng ồn – Bạch Đằng (cột mới)',
      ts: new Date(ts).toISOString(),
      metrics: { laeq_db: 63, lamax_db: 75 },
    });
  });

  it("sends a device moved to another ward to that ward's consoles from its next reading on", async () => {
    const watch = async (ward: string) => {
      const socket = connect({ token });
      await next(socket, 'snapshot');
      await socket.emitWithAck('subscribe', { city: 'hoi-an', wards: [ward] });
      const seen: number[] = [];
      socket.on('telemetry', (batch: any[]) => {
        for (const entry of batch) if (entry.deviceId === noise.id) seen.push(entry.metrics.laeq_db);
      });
      return { socket, seen };
    };
    // The readings of the tests before are sent first.
    await eventually(
      async () => app.live.pendingTelemetry(),
      (n) => n === 0,
    );
    const hoiAn = await watch('phuong-hoi-an');
    const hoiAnDong = await watch('phuong-hoi-an-dong');
    const sensor = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    const topic = `ioc/hoi-an/noise/${noise.id}/telemetry`;
    await publish(sensor, topic, JSON.stringify({ metrics: { laeq_db: 61 } }));
    await eventually(
      async () => hoiAn.seen,
      (seen) => seen.length > 0,
    );
    await app.registry.update(noise.id, { ward: 'phuong-hoi-an-dong' });
    await publish(sensor, topic, JSON.stringify({ metrics: { laeq_db: 64 } }));
    await eventually(
      async () => hoiAnDong.seen,
      (seen) => seen.length > 0,
    );
    sensor.end(true);
    await drained(hoiAn.socket, { city: 'hoi-an', wards: ['phuong-hoi-an'] });
    await drained(hoiAnDong.socket, { city: 'hoi-an', wards: ['phuong-hoi-an-dong'] });
    expect(hoiAn.seen).toEqual([61]);
    expect(hoiAnDong.seen).toEqual([64]);
  });

  it('batches over a wider window while the server is saturated, and comes back once it has room', async () => {
    expect(app.live.coalesceMs()).toBe(100);
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until); // the event loop does nothing else meanwhile
    };
    // Each turn holds the loop past the window: the tick after it finds it busy (the first may
    // still count the idle time before it). The steps themselves are the coalescer's own test.
    const widest = await eventually(
      async () => {
        busy(450);
        return app.live.coalesceMs();
      },
      (ms) => ms === 400,
      10_000,
    );
    expect(widest).toBe(400); // 100 → 200 → 400, never past LIVE_COALESCE_MAX_MS
    const gauge = await app.metrics.liveCoalesceMs.get();
    expect(gauge.values[0]?.value).toBe(400);
    const usual = await eventually(
      async () => app.live.coalesceMs(),
      (ms) => ms === 100,
    );
    expect(usual).toBe(100);
  });
});
