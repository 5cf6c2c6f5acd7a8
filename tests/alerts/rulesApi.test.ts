// Editing rules through the API on the running system (real PostgreSQL and MQTT): a change takes
// effect on the device's next readings, a form is saved whole or in part, a refusal names its field
// in Vietnamese and English, and the OpenAPI document shows one form per rule type.
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleTypes } from '../../src/alerts/ruleParams.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
const clients: MqttClient[] = [];
const sensor = {
  id: 'ha-rules-noise-01',
  kind: 'noise',
  city: 'hoi-an',
  ward: 'phuong-hoi-an',
  lat: 15.8772,
  lon: 108.3281,
  pole: null,
  zone: null,
  name: 'Tiếng ồn – Nguyễn Phúc Chu',
} as const;
let secret: string;

const form = {
  name: 'Ồn phố Nguyễn Phúc Chu',
  type: 'threshold',
  metric: 'laeq_db',
  comparison: '>',
  threshold: 90,
  clearValue: 85,
  severity: 'warning',
  deviceId: sensor.id,
  messageVi: 'Ồn {value} dBA tại {name}',
  messageEn: 'Loud {value} dBA at {name}',
};

const activeAlerts = async (ruleId: number) => {
  await app.alerts.engine.settled();
  const { rows } = await app.pool.query(
    `SELECT value FROM alerts WHERE rule_id = $1 AND device_id = $2 AND state <> 'resolved'`,
    [ruleId, sensor.id],
  );
  return rows as Array<{ value: number }>;
};

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  secret = (await app.registry.create(sensor)).secret;
});
afterAll(async () => {
  for (const c of clients) c.end(true);
  await app.close();
});

describe('a threshold rule edited through the API', () => {
  it('takes effect on the readings that follow the edit', async () => {
    const created = await app.request('POST', '/api/v1/rules', admin, form);
    expect(created.status).toBe(201);
    const rule = created.body;
    expect(rule).toMatchObject({ type: 'threshold', threshold: 90, deviceIds: null, days: null, params: {} });

    const client = await connectDevice(app.mqttUrl, sensor.id, secret);
    clients.push(client);
    const send = (laeq: number) =>
      publish(
        client,
        `ioc/hoi-an/noise/${sensor.id}/telemetry`,
        JSON.stringify({ metrics: { laeq_db: laeq } }),
      );
    await send(80);
    // The reading is through the engine once it is stored and settled: 80 is under 90, nothing opens.
    await eventually(
      async () =>
        (
          await app.pool.query('SELECT count(*)::int AS n FROM telemetry_messages WHERE device_id = $1', [
            sensor.id,
          ])
        ).rows[0].n,
      (n) => n >= 1,
    );
    expect(await activeAlerts(rule.id)).toEqual([]);

    const edited = await app.request('PATCH', `/api/v1/rules/${rule.id}`, admin, {
      threshold: 75,
      clearValue: 70,
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ threshold: 75, clearValue: 70, metric: 'laeq_db' });
    // The engine reloads its rules on the change; the first reading it judges by the new ones opens.
    const alerts = await eventually(
      async () => {
        await send(80);
        return activeAlerts(rule.id);
      },
      (a) => a.length === 1,
    );
    expect(alerts[0]!.value).toBe(80);
  });
});

describe('saving a form', () => {
  it('replaces a rule whole with PUT, its type changed, scope and schedule included', async () => {
    const { body: rule } = await app.request('POST', '/api/v1/rules', admin, { ...form, name: 'Tạm' });
    const replaced = await app.request('PUT', `/api/v1/rules/${rule.id}`, admin, {
      name: 'Im lặng, giờ hành chính',
      type: 'offline',
      severity: 'info',
      deviceIds: [sensor.id],
      windowStart: 420,
      windowEnd: 1020,
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      params: { minutes: 45 },
      messageVi: '{name} im lặng từ {since}',
      messageEn: '{name} silent since {since}',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      type: 'offline',
      metric: null,
      threshold: null,
      deviceId: null,
      deviceIds: [sensor.id],
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      params: { minutes: 45 },
    });
    expect((await app.request('GET', `/api/v1/rules/${rule.id}`, admin)).body).toEqual(replaced.body);
  });

  it('drops the old type’s own fields when a PATCH changes the type', async () => {
    const { body: rule } = await app.request('POST', '/api/v1/rules', admin, { ...form, name: 'Đổi loại' });
    const patched = await app.request('PATCH', `/api/v1/rules/${rule.id}`, admin, {
      type: 'event',
      params: { eventType: 'tamper' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Đổi loại',
      type: 'event',
      metric: null,
      comparison: null,
      threshold: null,
      deviceId: sensor.id,
      params: { eventType: 'tamper' },
    });
  });

  it('keeps a shipped default’s key through PUT and refuses to change it', async () => {
    const rules = (await app.request('GET', '/api/v1/rules', admin)).body.items;
    const waste = rules.find((r: { key: string }) => r.key === 'waste-full');
    const { id, key, ...fields } = waste;
    const form = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== null));
    const saved = await app.request('PUT', `/api/v1/rules/${id}`, admin, { ...form, threshold: 85 });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ key: 'waste-full', threshold: 85 });
    const renamed = await app.request('PATCH', `/api/v1/rules/${id}`, admin, { key: 'bins' });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.message).toContain('body.key: không đổi được khoá');
  });
});

describe('refusals', () => {
  it('names each refused field in Vietnamese and English', async () => {
    const res = await app.request('POST', '/api/v1/rules', admin, {
      name: 'Tăng nhiệt',
      type: 'rate_of_rise',
      metric: 'temp_c',
      comparison: '>',
      severity: 'critical',
      params: { rise: '8' },
      messageVi: 'x',
      messageEn: 'x',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    const { vi, en, fields } = res.body.error.details;
    expect(vi).toContain('body.params.rise: phải là số');
    expect(vi).toContain('body.params.windowS: bắt buộc');
    expect(vi).toContain('body.comparison: quy tắc loại rate_of_rise không dùng trường này');
    expect(en).toContain('body.params.rise: must be a number');
    expect(en).toContain('body.comparison: is not a field of a rule of type rate_of_rise');
    expect(fields).toContainEqual({
      field: 'params.windowS',
      vi: expect.any(String),
      en: expect.any(String),
    });
    // Vietnamese first, English alongside, in the one message too.
    expect(res.body.error.message.indexOf('phải là số')).toBeLessThan(
      res.body.error.message.indexOf('must be'),
    );

    const { body: rule } = await app.request('POST', '/api/v1/rules', admin, { ...form, name: 'Sửa sai' });
    const patched = await app.request('PATCH', `/api/v1/rules/${rule.id}`, admin, { comparison: '≥' });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details.en).toContain('body.comparison: must be one of: >, >=, <, <=, =');
  });
});

describe('the OpenAPI document', () => {
  it('shows one form per rule type for creating, replacing and dry-running a rule', async () => {
    const res = await fetch(`${app.baseUrl}/docs/json`, { headers: admin });
    const spec = (await res.json()) as {
      paths: Record<string, Record<string, { operationId: string; requestBody?: any }>>;
    };
    const forms = (path: string, method: string) => {
      const schema = spec.paths[path]![method]!.requestBody.content['application/json'].schema;
      return (schema.oneOf ?? schema.anyOf) as Array<{ properties: Record<string, any> }>;
    };
    for (const [path, method] of [
      ['/api/v1/rules', 'post'],
      ['/api/v1/rules/{id}', 'put'],
      ['/api/v1/rules/dry-run', 'post'],
    ] as const) {
      const variants = forms(path, method);
      expect(variants.map((v) => v.properties.type.const ?? v.properties.type.enum?.[0])).toEqual([
        ...ruleTypes,
      ]);
    }
    const [threshold, rateOfRise] = forms('/api/v1/rules', 'post');
    expect(Object.keys(threshold!.properties.params.properties)).toEqual(['limit', 'clearBelowDb']);
    expect(rateOfRise!.properties.params.required).toEqual(['rise', 'windowS']);
    expect(spec.paths['/api/v1/rules/{id}/dry-run']!.post!.operationId).toBe('dryRunSavedRule');
  });
});
