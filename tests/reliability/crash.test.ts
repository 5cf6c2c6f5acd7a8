// kill -9 of the real process under QoS 1 load, then a restart on the same DATA_DIR and database:
// every acknowledged reading is stored, once. Twice over: while the database is up (acknowledged
// means stored), and while it is cut by a proxy (acknowledged means in the journal, replayed at the
// restart). The figures are printed for the report.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, startAppProcess } from '../helpers/appProcess.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { eventually } from '../helpers/mqtt.ts';
import { type LoadDevice, lostReadings, startQos1Load } from '../helpers/qos1Load.ts';
import { hourlyRollupCount } from '../helpers/rollupCount.ts';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy.ts';

let database: TestDatabase;
let proxy: TcpProxy;
let dataDir: string;
let db: pg.Client;
const devices: LoadDevice[] = [];
let running: AppProcess | undefined;

const env = () => ({
  DATABASE_URL: proxy.url(database.url),
  DATA_DIR: dataDir,
  INGEST_FLUSH_MS: '20',
  JOURNAL_AFTER_MS: '500',
  INGEST_DEVICE_RATE_PER_S: '0',
});

beforeAll(async () => {
  database = await createTestDatabase();
  const u = new URL(database.url);
  proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
  dataDir = await mkdtemp(join(tmpdir(), 'ioc-crash-'));
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
});
afterAll(async () => {
  running?.child.kill('SIGKILL');
  await db.end();
  await proxy.close();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function stored(): Promise<{ raw: number; distinct: number }> {
  const { rows } = await db.query(
    `SELECT count(*)::int AS raw, count(DISTINCT (device_id, time))::int AS distinct
     FROM telemetry WHERE metric = 'pm25' AND device_id LIKE 'tn-crash-%'`,
  );
  return rows[0];
}

async function rollupTotal(): Promise<number> {
  let total = 0;
  for (const d of devices) total += await hourlyRollupCount(db, d.id);
  return total;
}

describe('kill -9 under load', () => {
  it('with the database up: every acknowledged reading is stored once after the restart', {
    timeout: 120_000,
  }, async () => {
    running = await startAppProcess(env());
    for (let i = 0; i < 8; i++) {
      const id = `tn-crash-env-${i}`;
      const created = await running.api('POST', '/api/v1/devices', {
        id,
        kind: 'environment',
        city: 'tay-ninh',
        ward: 'phuong-tan-ninh',
        lat: 11.3,
        lon: 106.1,
        name: id,
      });
      devices.push({ id, secret: created.body.credentials.secret });
    }
    const load = await startQos1Load(`mqtt://127.0.0.1:${running.mqtt}`, devices, {
      perDevicePerSecond: 100,
      base: Date.now() - 3_600_000,
    });
    await eventually(
      async () => load.acked().length,
      (n) => n > 1_500,
      30_000,
    );
    running.child.kill('SIGKILL');
    await running.exited;
    load.stop();
    const acked = [...load.acked()];
    const sent = load.sent();
    load.close();

    running = await startAppProcess(env());
    const lost = await lostReadings(db, acked);
    const after = await stored();
    console.info(
      `[reliability] kill -9, database up: sent ${sent}, acknowledged ${acked.length}, stored ${after.raw}, lost ${lost}, duplicates ${after.raw - after.distinct}`,
    );
    expect(acked.length).toBeGreaterThan(1_500);
    expect(lost).toBe(0);
    expect(after.raw).toBe(after.distinct);
    expect(after.raw).toBeLessThanOrEqual(sent);
  });

  it('with the database cut: acknowledged from the journal, replayed once at the restart', {
    timeout: 120_000,
  }, async () => {
    const before = await stored();
    const load = await startQos1Load(`mqtt://127.0.0.1:${running!.mqtt}`, devices, {
      perDevicePerSecond: 100,
      base: Date.now() - 1_800_000,
    });
    await eventually(
      async () => load.acked().length,
      (n) => n > 500,
      30_000,
    );
    proxy.cut();
    const ackedBeforeCut = load.acked().length;
    // Acknowledged while the database is out: only the journal can have them.
    await eventually(
      async () => load.acked().length,
      (n) => n > ackedBeforeCut + 1_500,
      30_000,
    );
    expect(await running!.metric('ioc_ingest_degraded')).toBe(1);
    running!.child.kill('SIGKILL');
    await running!.exited;
    load.stop();
    const acked = [...load.acked()];
    const sent = load.sent();
    load.close();
    const segments = (await readdir(join(dataDir, 'journal'))).length;
    expect(segments).toBeGreaterThan(0);

    proxy.resume();
    running = await startAppProcess(env());
    await eventually(
      async () => running!.metric('ioc_ingest_degraded'),
      (v) => v === 0,
      60_000,
    );
    const lost = await lostReadings(db, acked);
    const after = await stored();
    const rollup = await rollupTotal();
    const replayed = await running.metric('ioc_ingest_journal_replayed_total');
    console.info(
      `[reliability] kill -9, database cut: sent ${sent}, acknowledged ${acked.length} (${acked.length - ackedBeforeCut} during the outage), journal segments ${segments}, replayed ${replayed}, stored ${after.raw - before.raw} new, lost ${lost}, duplicates ${after.raw - after.distinct}`,
    );
    expect(acked.length - ackedBeforeCut).toBeGreaterThan(1_500);
    expect(replayed).toBeGreaterThan(0);
    expect(lost).toBe(0);
    expect(after.raw).toBe(after.distinct);
    // The rollup counts each stored reading's rows once: no replay counted twice (2 metrics a reading).
    const { rows } = await db.query(
      "SELECT count(*)::int AS n FROM telemetry WHERE device_id LIKE 'tn-crash-%'",
    );
    expect(rollup).toBe(rows[0].n);
    expect(await readdir(join(dataDir, 'journal'))).toEqual([]);
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    running = undefined;
  });
});
