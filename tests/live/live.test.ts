// The live layer with real socket.io clients: authenticated handshake, snapshot, coalesced telemetry,
// status, alerts on every transition, and subscriptions that narrow the view.
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextCoalesceMs } from '../../src/live/index.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let token: string;
const sockets: Socket[] = [];
const place = { city: 'hoi-an', ward: 'minh-an', lat: 15.877, lon: 108.328, pole: null, zone: null } as const;
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
    expect(snapshot.devices.find((d: any) => d.id === noise.id)).toMatchObject({
      name: 'Tiếng ồn – Bạch Đằng',
      alert: null,
    });

    // Entries for the device, batch by batch, until both metrics have arrived.
    const seen: Array<Record<string, number>> = [];
    const both = new Promise<void>((ok) =>
      socket.on('telemetry', (batch: any[]) => {
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
      (e) => e.alert.deviceId === fire.id && e.alert.ruleName === 'Fire alarm',
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
        message: { vi: 'Báo cháy tại Cảm biến cháy – Chùa Cầu (Minh An)' },
      },
    });
    expect(app.live.state.get(fire.id)?.alert).toBe('critical');
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
    await new Promise((r) => setTimeout(r, 300));
    expect(leaked).toBe(false);
  });
});

describe('live subscriptions and rates', () => {
  it('sends a client subscribed to one ward nothing from another', async () => {
    const elsewhere = {
      ...noise,
      id: 'ha-cp-noise-9401',
      ward: 'cam-pho',
      name: 'Tiếng ồn – Cẩm Phô',
    } as const;
    const secret = (await app.registry.create(elsewhere)).secret;
    const socket = connect({ token });
    await next(socket, 'snapshot');
    const fresh = next<any>(socket, 'snapshot');
    await socket.emitWithAck('subscribe', { city: 'hoi-an', wards: ['minh-an'] });
    expect((await fresh).devices.map((d: any) => d.ward)).not.toContain('cam-pho');
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
    const own = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    await publish(
      own,
      `ioc/hoi-an/noise/${noise.id}/telemetry`,
      JSON.stringify({ metrics: { laeq_db: 59 } }),
    );
    await new Promise((r) => setTimeout(r, 400));
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
    socket.on('telemetry', (batch: any[]) => {
      batches++;
      entries += batch.length;
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
    await new Promise((r) => setTimeout(r, 500));
    sensor.end(true);
    const windows = Math.ceil((Date.now() - started) / 100) + 1; // LIVE_COALESCE_MS is 100 here
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThanOrEqual(windows);
    expect(entries).toBe(batches); // one entry per device per batch, however many readings
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
      return seen;
    };
    await new Promise((r) => setTimeout(r, 300)); // the readings of the tests before flushed first
    const minhAn = await watch('minh-an');
    const camPho = await watch('cam-pho');
    const sensor = await connectDevice(app.mqttUrl, noise.id, secrets.get(noise.id)!);
    const topic = `ioc/hoi-an/noise/${noise.id}/telemetry`;
    await publish(sensor, topic, JSON.stringify({ metrics: { laeq_db: 61 } }));
    await new Promise((r) => setTimeout(r, 300)); // a flush (LIVE_COALESCE_MS 100) with it in minh-an
    await app.registry.update(noise.id, { ward: 'cam-pho' });
    await publish(sensor, topic, JSON.stringify({ metrics: { laeq_db: 64 } }));
    await new Promise((r) => setTimeout(r, 300));
    sensor.end(true);
    expect(minhAn).toEqual([61]);
    expect(camPho).toEqual([64]);
  });

  it('batches over a wider window while the server is saturated, and comes back once it has room', async () => {
    expect(app.live.coalesceMs()).toBe(100);
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until); // the event loop does nothing else meanwhile
    };
    // Each turn holds the loop past the window: the tick after it finds it busy (the first may
    // still count the idle time before it).
    for (let i = 0; i < 4; i++) {
      busy(450);
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(app.live.coalesceMs()).toBe(400); // 100 → 200 → 400, never past LIVE_COALESCE_MAX_MS
    const gauge = await app.metrics.liveCoalesceMs.get();
    expect(gauge.values[0]?.value).toBe(400);
    const deadline = Date.now() + 5_000;
    while (app.live.coalesceMs() !== 100 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(app.live.coalesceMs()).toBe(100);
  });
});

describe('nextCoalesceMs', () => {
  it('doubles after a saturated window up to the widest, halves after an idle one down to the usual', () => {
    expect(nextCoalesceMs(250, 0.95, 250, 1_000)).toBe(500);
    expect(nextCoalesceMs(500, 1, 250, 1_000)).toBe(1_000);
    expect(nextCoalesceMs(1_000, 1, 250, 1_000)).toBe(1_000);
    expect(nextCoalesceMs(1_000, 0.3, 250, 1_000)).toBe(500);
    expect(nextCoalesceMs(300, 0.1, 250, 1_000)).toBe(250);
    // Between busy and idle it holds, so it does not flap at the edge.
    expect(nextCoalesceMs(500, 0.75, 250, 1_000)).toBe(500);
    // With the widest window equal to the usual one it never moves.
    expect(nextCoalesceMs(250, 1, 250, 250)).toBe(250);
  });
});
