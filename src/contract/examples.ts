// The contract's examples, one set per kind: what a vendor copies first. They are checked by the suite
// against the schemas and published to a running IOC, which must store every one of them. Dated
// December 2026, Vietnam time where a string carries an offset.
import type { SeededKind } from '../catalog/schema.ts';
import type { Bilingual } from './texts.ts';

type Timestamp = string | number;
interface Reading {
  ts: Timestamp;
  seq?: number;
  metrics: Record<string, number>;
}

export interface KindExamples {
  telemetry: Reading;
  backlog: Reading[];
  status: { ts: Timestamp; online: boolean; battery_pct?: number; rssi_dbm?: number; fw?: string };
  event: { ts: Timestamp; type: string; data: Record<string, unknown>; summary: Bilingual };
  cmd: { id: string; ts: string; name: string; args: Record<string, unknown>; summary: Bilingual };
  /** The answer to `cmd` (same id). */
  commandResult: { ts: string; data: Record<string, unknown> };
}

/** The `ping` command most kinds show, sent at `sent` and answered at `answered`. */
function ping(
  id: string,
  sent: string,
  answered: string,
  data: Record<string, unknown> = { ok: true },
): Pick<KindExamples, 'cmd' | 'commandResult'> {
  return {
    cmd: {
      id,
      ts: sent,
      name: 'ping',
      args: {},
      summary: { vi: 'Kiểm tra thiết bị còn trả lời', en: 'Check that the device answers' },
    },
    commandResult: { ts: answered, data },
  };
}

/** The last will is the same for every device. */
export const lastWillExample = { online: false } as const;

export const kindExamples: Record<SeededKind, KindExamples> = {
  streetlight: {
    telemetry: {
      ts: '2026-12-01T19:30:00+07:00',
      seq: 1042,
      metrics: { lamp_on: 1, dim_pct: 80, power_w: 96.5, energy_kwh: 1520.4, voltage_v: 229.8, lux: 3.2 },
    },
    backlog: [
      {
        ts: '2026-12-01T19:28:00+07:00',
        seq: 1040,
        metrics: { lamp_on: 1, power_w: 96.1, energy_kwh: 1520.3 },
      },
      {
        ts: '2026-12-01T19:29:00+07:00',
        seq: 1041,
        metrics: { lamp_on: 1, power_w: 96.3, energy_kwh: 1520.35 },
      },
    ],
    status: { ts: '2026-12-01T18:00:02+07:00', online: true, rssi_dbm: -71, fw: '2.3.0' },
    event: {
      ts: '2026-12-01T19:47:13+07:00',
      type: 'lamp_fault',
      data: { code: 'LED_DRIVER_OPEN' },
      summary: { vi: 'Lỗi bộ nguồn LED', en: 'LED driver fault' },
    },
    cmd: {
      id: '5b0e7f0c-3d7a-4f7e-9a51-2f0c8f3b1d22',
      ts: '2026-12-01T12:02:11.120Z',
      name: 'set_lamp',
      args: { on: true, dim_pct: 60 },
      summary: { vi: 'Bật đèn ở mức 60%', en: 'Lamp on at 60 %' },
    },
    commandResult: { ts: '2026-12-01T12:02:11.480Z', data: { ok: true, detail: 'applied' } },
  },
  environment: {
    telemetry: {
      ts: 1796101200000,
      seq: 88,
      metrics: {
        pm25: 38.2,
        pm10: 61.5,
        no2: 42.1,
        so2: 9.8,
        o3: 71.3,
        co: 820,
        temp_c: 27.4,
        humidity_pct: 81,
        rain_mm: 0,
        wind_ms: 2.1,
        water_level_cm: 0,
      },
    },
    backlog: [
      { ts: 1796101080000, seq: 86, metrics: { pm25: 35, pm10: 58.1 } },
      { ts: 1796101140000, seq: 87, metrics: { pm25: 36.4, pm10: 59.9 } },
    ],
    status: { ts: '2026-12-01T11:00:00+07:00', online: true, rssi_dbm: -64, fw: '4.1.7' },
    event: {
      ts: '2026-12-01T12:10:00+07:00',
      type: 'sensor_fault',
      data: { sensor: 'pm25', code: 'FAN_STALL' },
      summary: { vi: 'Quạt cảm biến bụi ngừng quay', en: 'Dust sensor fan stalled' },
    },
    ...ping('9c3f1a52-7e4b-4d0a-8f6e-1b2c3d4e5f60', '2026-12-01T05:15:00.000Z', '2026-12-01T05:15:00.350Z'),
  },
  noise: {
    telemetry: { ts: '2026-12-01T22:15:00+07:00', metrics: { laeq_db: 58.4, lamax_db: 71.2 } },
    backlog: [
      { ts: '2026-12-01T22:13:00+07:00', metrics: { laeq_db: 57.9, lamax_db: 69 } },
      { ts: '2026-12-01T22:14:00+07:00', metrics: { laeq_db: 58.1, lamax_db: 70.4 } },
    ],
    status: { ts: '2026-12-01T22:00:05+07:00', online: true, rssi_dbm: -80, fw: '1.0.9' },
    event: {
      ts: '2026-12-01T22:20:00+07:00',
      type: 'calibration_done',
      data: { offset_db: 0.3 },
      summary: { vi: 'Đã hiệu chuẩn micro', en: 'Microphone calibrated' },
    },
    ...ping('e1d2c3b4-a596-4788-9a0b-c1d2e3f4a5b6', '2026-12-01T15:30:00.000Z', '2026-12-01T15:30:00.410Z'),
  },
  fire: {
    telemetry: {
      ts: '2026-12-01T03:12:09.500+07:00',
      seq: 7,
      metrics: { smoke_pct: 12.5, temp_c: 64, co_ppm: 180, flame: 1, alarm: 1 },
    },
    backlog: [
      {
        ts: '2026-12-01T03:11:50+07:00',
        seq: 5,
        metrics: { smoke_pct: 0.4, temp_c: 29, co_ppm: 3, flame: 0, alarm: 0 },
      },
      {
        ts: '2026-12-01T03:12:00+07:00',
        seq: 6,
        metrics: { smoke_pct: 4.2, temp_c: 41, co_ppm: 60, flame: 0, alarm: 0 },
      },
    ],
    status: { ts: '2026-12-01T03:00:00+07:00', online: true, battery_pct: 97, rssi_dbm: -68, fw: '3.2.1' },
    event: {
      ts: '2026-12-01T03:12:15+07:00',
      type: 'alarm_button',
      data: { pressed_s: 3 },
      summary: { vi: 'Nút báo cháy được nhấn', en: 'Fire alarm button pressed' },
    },
    ...ping('3a4b5c6d-7e8f-4a0b-8c1d-2e3f4a5b6c7d', '2026-12-01T01:00:00.000Z', '2026-12-01T01:00:00.220Z'),
  },
  waste: {
    telemetry: {
      ts: '2026-12-01T08:00:00+07:00',
      metrics: { fill_pct: 86, temp_c: 33.5, tilt: 0, battery_pct: 64 },
    },
    backlog: [
      { ts: '2026-12-01T07:50:00+07:00', metrics: { fill_pct: 84, battery_pct: 64 } },
      { ts: '2026-12-01T07:55:00+07:00', metrics: { fill_pct: 85, battery_pct: 64 } },
    ],
    status: { ts: '2026-12-01T07:45:00+07:00', online: true, battery_pct: 64, rssi_dbm: -97, fw: '0.9.4' },
    event: {
      ts: '2026-12-01T09:05:00+07:00',
      type: 'collected',
      data: { fill_pct_before: 88 },
      summary: { vi: 'Thùng đã được thu gom', en: 'Bin emptied' },
    },
    ...ping('7f6e5d4c-3b2a-4190-8d7c-6b5a49382716', '2026-12-01T02:00:00.000Z', '2026-12-01T02:05:12.000Z', {
      ok: true,
      detail: 'answered at next wake-up',
    }),
  },
  camera: {
    telemetry: {
      ts: '2026-12-01T08:01:00+07:00',
      metrics: { recording: 1, fps: 25, bitrate_kbps: 4096, storage_pct: 71, tamper: 0 },
    },
    backlog: [
      { ts: '2026-12-01T07:59:00+07:00', metrics: { recording: 1, fps: 25, bitrate_kbps: 4100 } },
      { ts: '2026-12-01T08:00:00+07:00', metrics: { recording: 1, fps: 25, bitrate_kbps: 4088 } },
    ],
    status: { ts: '2026-12-01T07:30:00+07:00', online: true, fw: '5.7.12' },
    event: {
      ts: '2026-12-01T23:41:07+07:00',
      type: 'tamper',
      data: { cause: 'lens_covered' },
      summary: { vi: 'Ống kính bị che', en: 'Lens covered' },
    },
    cmd: {
      id: 'b8a7c6d5-e4f3-4a2b-9c1d-0e9f8a7b6c5d',
      ts: '2026-12-01T09:00:00.000Z',
      name: 'reboot',
      args: {},
      summary: { vi: 'Khởi động lại camera', en: 'Restart the camera' },
    },
    commandResult: { ts: '2026-12-01T09:01:30.000Z', data: { ok: true, detail: 'rebooted' } },
  },
};
