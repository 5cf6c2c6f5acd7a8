// The default noise alert rules over real MQTT and PostgreSQL: they take the QCVN 26 limit in force at
// the reading and name the version in the alert text; migration 018 moves rules still as shipped to
// that form and leaves an operator's edit alone.
import { readFileSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMidnight } from '../../src/standards/time.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let client: MqttClient | undefined;
const meter = {
  id: 'ha-ma-noise-9301',
  kind: 'noise',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.8772,
  lon: 108.3281,
  pole: null,
  zone: 'normal',
  name: 'Tiếng ồn – Nguyễn Huệ',
} as const;

const alertsOf = async () => {
  await app.alerts.engine.settled();
  return (
    await app.pool.query(
      `SELECT r.default_key AS key, a.state, a.message_vi, a.message_en
       FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.device_id = $1 ORDER BY a.id`,
      [meter.id],
    )
  ).rows;
};

beforeAll(async () => {
  // Readings up to two days old count as live, so the test can use yesterday's morning.
  app = await startTestApp({ INGEST_LATE_AFTER_S: '172800' });
  const { secret } = await app.registry.create(meter);
  client = await connectDevice(app.mqttUrl, meter.id, secret);
});
afterAll(async () => {
  client?.end(true);
  await app?.close();
});

describe('the default noise rules', () => {
  it('open above the limit in force at the reading, naming the version, and clear 3 dB below it', async () => {
    // 10:00 yesterday in Vietnam: day, QCVN 26:2025/BNNMT, normal area, 70 dBA.
    const t0 = localMidnight(new Date()).getTime() - 14 * 3_600_000;
    const send = (laeq: number, minute: number) =>
      publish(
        client!,
        `ioc/hoi-an/noise/${meter.id}/telemetry`,
        JSON.stringify({ ts: t0 + minute * 60_000, metrics: { laeq_db: laeq } }),
      );
    for (let minute = 0; minute <= 5; minute++) await send(80, minute); // over 70 for 5 minutes
    expect(await alertsOf()).toEqual([
      {
        key: 'noise-normal-day',
        state: 'open',
        message_vi:
          'Tiếng ồn 80 dBA vượt giới hạn ban ngày 70 dBA của QCVN 26:2025/BNNMT (khu vực thông thường) tại Tiếng ồn – Nguyễn Huệ (Phường Hội An)',
        message_en:
          'Noise 80 dBA over the daytime limit of 70 dBA of QCVN 26:2025/BNNMT (normal area) at Tiếng ồn – Nguyễn Huệ (Phường Hội An)',
      },
    ]);
    await send(68, 6); // under the limit, above 70 − 3: still open
    expect((await alertsOf())[0].state).toBe('open');
    await send(66, 7);
    expect((await alertsOf())[0].state).toBe('resolved');
  });
});

describe('migration 018', () => {
  it('moves the default noise rules still as shipped to the limit in force, and keeps an edited one', async () => {
    const shipped = (key: string, threshold: number, vi: string, en: string) =>
      app.pool.query(
        `UPDATE alert_rules SET threshold = $2::float8, clear_value = $2::float8 - 3, params = '{}', message_vi = $3, message_en = $4
         WHERE default_key = $1`,
        [key, threshold, vi, en],
      );
    await shipped(
      'noise-special-night',
      45,
      'Tiếng ồn {value} dBA vượt giới hạn ban đêm 45 dBA (khu vực đặc biệt) tại {name} ({ward})',
      'Noise {value} dBA over the night limit of 45 dBA (special area) at {name} ({ward})',
    );
    // An operator's edit: 50 dBA instead of 45 at night in special areas.
    await shipped(
      'noise-normal-night',
      50,
      'Tiếng ồn {value} dBA vượt giới hạn ban đêm 50 dBA (khu vực thông thường) tại {name} ({ward})',
      'Noise {value} dBA over the night limit of 50 dBA (normal area) at {name} ({ward})',
    );
    await app.pool.query(
      readFileSync(new URL('../../migrations/018_noise_standard_rules.sql', import.meta.url), 'utf8'),
    );
    const { rows } = await app.pool.query(
      `SELECT default_key AS key, threshold, clear_value AS "clearValue", params, message_en AS "messageEn"
       FROM alert_rules WHERE default_key IN ('noise-special-night', 'noise-normal-night') ORDER BY default_key`,
    );
    expect(rows).toEqual([
      {
        key: 'noise-normal-night',
        threshold: 50,
        clearValue: 47,
        params: {},
        messageEn: 'Noise {value} dBA over the night limit of 50 dBA (normal area) at {name} ({ward})',
      },
      {
        key: 'noise-special-night',
        threshold: null,
        clearValue: null,
        params: { limit: 'qcvn26', clearBelowDb: 3 },
        messageEn:
          'Noise {value} dBA over the night limit of {threshold} dBA of {standard} (special area) at {name} ({ward})',
      },
    ]);
  });
});
