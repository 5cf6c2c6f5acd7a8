// Provisioning in the field on the running system (real PostgreSQL, the real app, real MQTT): a device
// claims its identity with an admin's key, connects with what the claim answered and is stored; a
// key's expiry, count, secret, revocation and scope hold, concurrent claims included; every claim is
// in the audit trail as provision:<key name>.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimAction } from '../../src/provisioning/claim.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
const ratePerMinute = 20;
const inADay = () => new Date(Date.now() + 86_400_000).toISOString();
const hoiAn = { lat: 15.8801, lon: 108.338 };

beforeAll(async () => {
  app = await startTestApp({ PROVISION_CLAIM_RATE_PER_MIN: String(ratePerMinute) });
  admin = await app.login();
});
afterAll(async () => app?.close());

interface Key {
  id: number;
  key: string;
  secret: string;
  name: string;
  claims: number;
}

async function createKey(fields: Record<string, unknown>): Promise<Key> {
  const res = await app.request('POST', '/api/v1/provisioning/keys', admin, {
    city: 'hoi-an',
    expiresAt: inADay(),
    maxClaims: 5,
    ...fields,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as Key;
}

const claim = (key: Key, fields: Record<string, unknown>) =>
  app.request('POST', '/api/v1/provisioning/claim', {}, { key: key.key, secret: key.secret, ...fields });

async function keyRecord(id: number): Promise<Key> {
  const { body } = await app.request('GET', '/api/v1/provisioning/keys', admin);
  return (body.items as Key[]).find((k) => k.id === id)!;
}

/** A refusal carries its reason and both languages. */
function expectRefusal(res: { status: number; body: any }, status: number, reason: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error.details).toMatchObject({ reason, vi: expect.any(String), en: expect.any(String) });
  expect(res.body.error.message).toBe(`${res.body.error.details.vi} / ${res.body.error.details.en}`);
  expect(JSON.stringify(res.body)).not.toMatch(/"secret"/);
}

describe('a claim', () => {
  it('gives the device its own MQTT credentials, with which a real client publishes and is stored', async () => {
    const key = await createKey({ name: 'hoi-an-env', unit: 'phuong-hoi-an', kinds: ['environment'] });
    expect(key).toMatchObject({ key: expect.stringMatching(/^iocp_[0-9a-f]{12}$/), claims: 0 });
    expect(key.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const res = await claim(key, { id: 'ha-prov-env-0001', kind: 'environment', ...hoiAn });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      device: { id: 'ha-prov-env-0001', kind: 'environment', city: 'hoi-an', ward: 'phuong-hoi-an' },
      credentials: {
        clientId: 'ha-prov-env-0001',
        username: 'ha-prov-env-0001',
        secret: expect.any(String),
        topicPrefix: 'ioc/hoi-an/environment/ha-prov-env-0001/',
      },
      broker: { host: '127.0.0.1', ports: { mqtt: app.mqttPort, mqtts: null, ws: null }, wsTls: false },
      topics: {
        telemetry: 'ioc/hoi-an/environment/ha-prov-env-0001/telemetry',
        cmd: 'ioc/hoi-an/environment/ha-prov-env-0001/cmd',
      },
    });
    const { credentials, broker, topics } = res.body;
    const device = await connectDevice(
      `mqtt://${broker.host}:${broker.ports.mqtt}`,
      credentials.clientId,
      credentials.secret,
    );
    try {
      await publish(device, topics.telemetry, JSON.stringify({ ts: Date.now(), metrics: { pm25: 21.5 } }));
    } finally {
      device.end(true);
    }
    const stored = await eventually(
      async () =>
        (await app.pool.query("SELECT value FROM telemetry WHERE device_id = 'ha-prov-env-0001'")).rows,
      (rows) => rows.length === 1,
    );
    expect(stored).toEqual([{ value: 21.5 }]);
    expect((await keyRecord(key.id)).claims).toBe(1);
  });

  it('is given once per device and key: a second claim is refused as already claimed, without a secret', async () => {
    const key = await createKey({ name: 'hoi-an-twice', kinds: ['noise'] });
    const first = await claim(key, {
      id: 'ha-prov-noise-0001',
      kind: 'noise',
      ward: 'phuong-hoi-an',
      ...hoiAn,
    });
    expect(first.status).toBe(201);
    const second = await claim(key, {
      id: 'ha-prov-noise-0001',
      kind: 'noise',
      ward: 'phuong-hoi-an',
      ...hoiAn,
    });
    expectRefusal(second, 409, 'ALREADY_CLAIMED');
    expect(second.body.error.details.claimedAt).toEqual(expect.any(String));
    expect((await keyRecord(key.id)).claims).toBe(1);
  });

  it('of an id already registered some other way is refused, and the key keeps its claim', async () => {
    const key = await createKey({ name: 'hoi-an-taken' });
    const made = await app.request('POST', '/api/v1/devices', admin, {
      id: 'ha-prov-waste-0001',
      kind: 'waste',
      city: 'hoi-an',
      ward: 'phuong-hoi-an',
      ...hoiAn,
      name: 'Thùng rác thử / Test bin',
    });
    expect(made.status).toBe(201);
    const res = await claim(key, {
      id: 'ha-prov-waste-0001',
      kind: 'waste',
      ward: 'phuong-hoi-an',
      ...hoiAn,
    });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('DEVICE_EXISTS');
    expect((await keyRecord(key.id)).claims).toBe(0);
    const claims = await app.request('GET', `/api/v1/provisioning/keys/${key.id}/claims`, admin);
    expect(claims.body.items).toEqual([]);
  });
});

describe('a claim’s unit', () => {
  it('follows from the position where a boundary holds it, over the unit named', async () => {
    const east = { lat: 15.9, lon: 108.36 };
    const square = [
      [108.35, 15.89],
      [108.37, 15.89],
      [108.37, 15.91],
      [108.35, 15.91],
      [108.35, 15.89],
    ];
    const imported = await app.request('PUT', '/api/v1/places/boundaries', admin, {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { id: 'phuong-hoi-an-dong' },
          geometry: { type: 'Polygon', coordinates: [square] },
        },
      ],
    });
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    const anyUnit = await createKey({ name: 'hoi-an-any-unit' });
    const placed = await claim(anyUnit, { id: 'ha-prov-pos-0001', kind: 'streetlight', ...east });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body.device.ward).toBe('phuong-hoi-an-dong');
    const oneUnit = await createKey({ name: 'hoi-an-one-unit', unit: 'phuong-hoi-an' });
    expectRefusal(
      await claim(oneUnit, { id: 'ha-prov-pos-0002', kind: 'streetlight', ward: 'phuong-hoi-an', ...east }),
      403,
      'UNIT_NOT_ALLOWED',
    );
  });
});

describe('a claim is refused, with the reason in Vietnamese and English,', () => {
  it('for a wrong secret or an unknown key', async () => {
    const key = await createKey({ name: 'hoi-an-secret' });
    expectRefusal(
      await claim({ ...key, secret: 'x'.repeat(43) }, { id: 'ha-prov-x-0001', kind: 'fire', ...hoiAn }),
      401,
      'BAD_KEY',
    );
    expectRefusal(
      await claim({ ...key, key: 'iocp_000000000000' }, { id: 'ha-prov-x-0001', kind: 'fire', ...hoiAn }),
      401,
      'BAD_KEY',
    );
    expectRefusal(
      await claim({ ...key, key: 'not-a-key' }, { id: 'ha-prov-x-0001', kind: 'fire', ...hoiAn }),
      401,
      'BAD_KEY',
    );
    expect(app.registry.get('ha-prov-x-0001')).toBeUndefined();
  });

  it('for a kind, an area or a unit outside the key’s scope', async () => {
    const key = await createKey({
      name: 'hoi-an-scope',
      unit: 'phuong-hoi-an',
      kinds: ['fire', 'streetlight'],
    });
    expectRefusal(
      await claim(key, { id: 'ha-prov-cam-0001', kind: 'camera', ...hoiAn }),
      403,
      'KIND_NOT_ALLOWED',
    );
    expectRefusal(
      await claim(key, { id: 'ha-prov-fire-0001', kind: 'fire', city: 'tay-ninh', ...hoiAn }),
      403,
      'AREA_NOT_ALLOWED',
    );
    expectRefusal(
      await claim(key, { id: 'ha-prov-fire-0001', kind: 'fire', ward: 'phuong-hoi-an-dong', ...hoiAn }),
      403,
      'UNIT_NOT_ALLOWED',
    );
    const unknownKind = await claim(key, { id: 'ha-prov-fire-0001', kind: 'teapot', ...hoiAn });
    expect(unknownKind.status).toBe(400);
    expect((await keyRecord(key.id)).claims).toBe(0);
    const ok = await claim(key, { id: 'ha-prov-fire-0001', kind: 'fire', city: 'hoi-an', ...hoiAn });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.body.device.ward).toBe('phuong-hoi-an');
  });

  it('without a unit when neither a boundary nor the key names one', async () => {
    const key = await createKey({ name: 'hoi-an-nowhere' });
    expectRefusal(
      await claim(key, { id: 'ha-prov-sl-0009', kind: 'streetlight', ...hoiAn }),
      400,
      'UNIT_NEEDED',
    );
  });

  it('for an expired key', async () => {
    const key = await createKey({ name: 'hoi-an-expired' });
    // The expiry is moved into the past, as the clock would: a key cannot be created already expired.
    await app.pool.query(
      "UPDATE provisioning_keys SET expires_at = now() - interval '1 minute' WHERE id = $1",
      [key.id],
    );
    expectRefusal(
      await claim(key, { id: 'ha-prov-sl-0001', kind: 'streetlight', ward: 'phuong-hoi-an', ...hoiAn }),
      403,
      'KEY_EXPIRED',
    );
    const past = await app.request('POST', '/api/v1/provisioning/keys', admin, {
      name: 'hoi-an-past',
      city: 'hoi-an',
      expiresAt: new Date(Date.now() - 1000).toISOString(),
      maxClaims: 1,
    });
    expect(past.status).toBe(400);
    expect(past.body.error.details).toMatchObject({ vi: expect.any(String), en: expect.any(String) });
  });

  it('for a revoked key', async () => {
    const key = await createKey({ name: 'hoi-an-revoked' });
    const revoked = await app.request('DELETE', `/api/v1/provisioning/keys/${key.id}`, admin);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ revokedBy: 'admin', revokedAt: expect.any(String) });
    expectRefusal(
      await claim(key, { id: 'ha-prov-sl-0002', kind: 'streetlight', ward: 'phuong-hoi-an', ...hoiAn }),
      403,
      'KEY_REVOKED',
    );
    expect(app.registry.get('ha-prov-sl-0002')).toBeUndefined();
  });

  it('past the key’s count, even when the claims arrive at once: only max succeed', async () => {
    const max = 3;
    const key = await createKey({ name: 'hoi-an-crowd', maxClaims: max });
    const ids = Array.from({ length: 10 }, (_, i) => `ha-prov-crowd-${String(i).padStart(4, '0')}`);
    const answers = await Promise.all(
      ids.map((id) => claim(key, { id, kind: 'streetlight', ward: 'phuong-hoi-an', ...hoiAn })),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(max).fill(201), ...Array(ids.length - max).fill(403)]);
    for (const refused of answers.filter((a) => a.status === 403))
      expectRefusal(refused, 403, 'KEY_EXHAUSTED');
    expect((await keyRecord(key.id)).claims).toBe(max);
    expect(ids.filter((id) => app.registry.get(id)).length).toBe(max);
    const claims = await app.request('GET', `/api/v1/provisioning/keys/${key.id}/claims`, admin);
    expect(claims.body.items).toHaveLength(max);
  });

  it('over the key’s rate, with Retry-After, before the secret is checked', async () => {
    const key = await createKey({ name: 'hoi-an-rate' });
    const wrong = { ...key, secret: 'y'.repeat(43) };
    const statuses: number[] = [];
    for (let i = 0; i <= ratePerMinute; i++) {
      statuses.push((await claim(wrong, { id: 'ha-prov-rate-0001', kind: 'fire', ...hoiAn })).status);
    }
    expect(statuses.slice(0, ratePerMinute)).toEqual(Array(ratePerMinute).fill(401));
    const res = await fetch(`${app.baseUrl}/api/v1/provisioning/claim`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        key: key.key,
        secret: key.secret,
        id: 'ha-prov-rate-0001',
        kind: 'fire',
        ...hoiAn,
      }),
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expectRefusal({ status: 429, body: await res.json() }, 429, 'RATE_LIMITED');
  });
});

describe('the audit trail', () => {
  it('names each claim provision:<key name> with its address; failed guesses are counted', async () => {
    const key = await createKey({ name: 'hoi-an-audit', kinds: ['waste'] });
    expect(
      (await claim(key, { id: 'ha-prov-audit-0001', kind: 'waste', ward: 'phuong-hoi-an', ...hoiAn })).status,
    ).toBe(201);
    expect(
      (await claim(key, { id: 'ha-prov-audit-0002', kind: 'fire', ward: 'phuong-hoi-an', ...hoiAn })).status,
    ).toBe(403);
    expect(
      (await claim({ ...key, secret: 'z'.repeat(43) }, { id: 'ha-prov-audit-0003', kind: 'waste', ...hoiAn }))
        .status,
    ).toBe(401);
    const entries = await app.audit.list({ actor: 'provision:hoi-an-audit', limit: 10 });
    const identified = entries.filter((e) => e.actorRole === 'provisioning');
    expect(identified.map((e) => [e.target, e.outcome, e.status]).sort()).toEqual([
      ['ha-prov-audit-0001', 'success', 201],
      ['ha-prov-audit-0002', 'denied', 403],
    ]);
    for (const entry of identified) {
      expect(entry).toMatchObject({ action: claimAction, ip: '127.0.0.1' });
      expect(entry.details).toMatchObject({ key: key.key });
    }
    expect(identified.find((e) => e.status === 403)!.details).toMatchObject({ reason: 'KIND_NOT_ALLOWED' });
    await app.audit.flush();
    const counted = await app.audit.list({ action: claimAction, outcome: 'denied', limit: 50 });
    const guesses = counted.filter((e) => e.actorRole === null);
    expect(guesses.length).toBeGreaterThan(0);
    expect(JSON.stringify(guesses.map((e) => e.details))).toContain('provision:hoi-an-audit');
  });

  it('records the admin creating and revoking keys', async () => {
    const key = await createKey({ name: 'hoi-an-admin-audit' });
    await app.request('DELETE', `/api/v1/provisioning/keys/${key.id}`, admin);
    const entries = await app.audit.list({ actor: 'admin', limit: 50 });
    const actions = entries.map((e) => `${e.action} ${e.outcome}`);
    expect(actions).toContain('POST /api/v1/provisioning/keys success');
    expect(actions).toContain('DELETE /api/v1/provisioning/keys/:id success');
    // The key's secret never reaches the log.
    expect(JSON.stringify(entries)).not.toContain(key.secret);
  });
});
