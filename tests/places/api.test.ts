import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice, eventually, publish } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;

beforeAll(async () => {
  // Former ids are accepted until a configured day; the day itself is tested in seed.test.ts with a
  // clock of its own, so this file does not start failing on the default day (2027-06-30).
  app = await startTestApp({ PLACES_FORMER_IDS_UNTIL: '2099-12-31' });
  admin = await app.login();
  operator = await app.loginAs('operator');
});
afterAll(async () => app.close());

const square = (west: number, south: number, east: number, north: number) => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
];

const daLat = {
  id: 'da-lat',
  name: { vi: 'Đà Lạt', en: 'Đà Lạt' },
  province: { code: '68', name: { vi: 'Tỉnh Lâm Đồng', en: 'Lâm Đồng Province' } },
  centre: { lat: 11.94, lon: 108.44 },
  bounds: { south: 11.85, west: 108.35, north: 12.05, east: 108.55 },
};
const xuanHuong = {
  id: 'phuong-xuan-huong-da-lat',
  area: 'da-lat',
  name: 'Xuân Hương – Đà Lạt',
  fullName: { vi: 'Phường Xuân Hương – Đà Lạt', en: 'Xuân Hương – Đà Lạt Ward' },
  type: 'ward',
  code: '24778',
  centre: { lat: 11.94, lon: 108.44 },
};
const lamVien = {
  ...xuanHuong,
  id: 'phuong-lam-vien-da-lat',
  name: 'Lâm Viên – Đà Lạt',
  fullName: { vi: 'Phường Lâm Viên – Đà Lạt', en: 'Lâm Viên – Đà Lạt Ward' },
  code: '24781',
  centre: { lat: 11.96, lon: 108.46 },
};

describe('places API', () => {
  it('is read by every signed-in role: areas with their units, former units and the mapping', async () => {
    const areas = await app.request('GET', '/api/v1/places/areas', operator);
    expect(areas.status).toBe(200);
    const tayNinh = areas.body.items.find((a: { id: string }) => a.id === 'tay-ninh');
    expect(tayNinh.units.map((u: { id: string }) => u.id)).toEqual([
      'phuong-binh-minh',
      'phuong-ninh-thanh',
      'phuong-tan-ninh',
    ]);
    expect(tayNinh.formerUnits).toHaveLength(10);
    const unit = await app.request('GET', '/api/v1/places/units/phuong-hoi-an-dong', operator);
    expect(unit.body.formerUnits.map((f: { id: string }) => f.id).sort()).toEqual([
      'cam-chau',
      'cam-thanh',
      'cua-dai',
    ]);
    const former = await app.request('GET', '/api/v1/places/former-units?area=hoi-an', operator);
    expect(former.body.items).toHaveLength(13);
    expect(await app.request('GET', '/api/v1/places/areas')).toMatchObject({ status: 401 });
  });

  it('is written by admins only; an operator is refused', async () => {
    expect((await app.request('POST', '/api/v1/places/areas', operator, daLat)).status).toBe(403);
    expect(
      (await app.request('PATCH', '/api/v1/places/units/phuong-tan-ninh', operator, { name: 'x' })).status,
    ).toBe(403);
    expect(
      (
        await app.request('PUT', '/api/v1/places/boundaries', operator, {
          type: 'FeatureCollection',
          features: [],
        })
      ).status,
    ).toBe(403);
  });

  it('takes a third area with its own units, and a device registered in it with an MQTT topic of its own', async () => {
    const created = await app.request('POST', '/api/v1/places/areas', admin, daLat);
    expect(created).toMatchObject({ status: 201, body: { id: 'da-lat', origin: 'admin' } });
    expect((await app.request('POST', '/api/v1/places/units', admin, xuanHuong)).status).toBe(201);
    const unit = await app.request('POST', '/api/v1/places/units', admin, lamVien);
    expect(unit.body).toMatchObject({ provinceCode: '68', validFrom: '2025-07-01', validTo: null });
    // Ids are one namespace; codes unique among units in force.
    const taken = await app.request('POST', '/api/v1/places/units', admin, { ...lamVien, id: 'hoi-an' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toMatch(/đã được dùng.*already used/);
    const code = await app.request('POST', '/api/v1/places/units', admin, {
      ...lamVien,
      id: 'phuong-khac',
      code: '25459',
    });
    expect(code).toMatchObject({ status: 409, body: { error: { details: { code: '25459' } } } });

    // The catalogue the console builds its filters and map labels from lists it, units named in full.
    const catalog = await app.request('GET', '/api/v1/catalog', operator);
    expect(catalog.body.cities.find((c: { city: string }) => c.city === 'da-lat')).toMatchObject({
      name: daLat.name,
      devices: 0,
      wards: [
        { id: 'phuong-lam-vien-da-lat', name: 'Phường Lâm Viên – Đà Lạt', type: 'ward' },
        { id: 'phuong-xuan-huong-da-lat', name: 'Phường Xuân Hương – Đà Lạt', type: 'ward' },
      ],
    });
    expect(catalog.body.cities.find((c: { city: string }) => c.city === 'tay-ninh').wards[2]).toMatchObject({
      id: 'phuong-tan-ninh',
      name: 'Phường Tân Ninh',
    });

    const device = await app.request('POST', '/api/v1/devices', admin, {
      id: 'dl-xh-env-0001',
      kind: 'environment',
      city: 'da-lat',
      ward: 'phuong-xuan-huong-da-lat',
      lat: 11.941,
      lon: 108.437,
      name: 'Trạm quan trắc Hồ Xuân Hương',
    });
    expect(device.status).toBe(201);
    expect(device.body.credentials.topicPrefix).toBe('ioc/da-lat/environment/dl-xh-env-0001/');
    const client = await connectDevice(app.mqttUrl, 'dl-xh-env-0001', device.body.credentials.secret);
    await publish(
      client,
      'ioc/da-lat/environment/dl-xh-env-0001/telemetry',
      JSON.stringify({ metrics: { pm25: 12.5 } }),
    );
    client.end(true);
    const stored = await eventually(
      () => app.request('GET', '/api/v1/devices/dl-xh-env-0001', operator),
      (res) => res.body.latest?.pm25 !== undefined,
    );
    expect(stored.body).toMatchObject({ city: 'da-lat', latest: { pm25: { value: 12.5 } } });
    const wrong = await app.request('POST', '/api/v1/devices', admin, {
      id: 'dl-xh-env-0002',
      kind: 'environment',
      city: 'da-lat',
      ward: 'phuong-tan-ninh',
      lat: 11.941,
      lon: 108.437,
      name: 'Sai phường',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/không phải đơn vị hành chính.*not an administrative unit/);
  });

  it("imports boundaries whole or not at all, and then the position decides a device's unit", async () => {
    const features = [
      {
        type: 'Feature',
        properties: { id: 'phuong-xuan-huong-da-lat' },
        geometry: { type: 'Polygon', coordinates: [square(108.4, 11.9, 108.45, 11.95)] },
      },
      {
        type: 'Feature',
        properties: { code: '24781' },
        geometry: { type: 'Polygon', coordinates: [square(108.45, 11.95, 108.5, 12.0)] },
      },
    ];
    const bad = await app.request('PUT', '/api/v1/places/boundaries', admin, {
      type: 'FeatureCollection',
      features: [
        ...features,
        {
          type: 'Feature',
          properties: { id: 'phuong-lam-vien-da-lat' },
          geometry: { type: 'Point', coordinates: [108.46, 11.96] },
        },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.features).toEqual([
      expect.objectContaining({
        index: 2,
        id: 'phuong-lam-vien-da-lat',
        en: expect.stringMatching(/Polygon or MultiPolygon only/),
      }),
    ]);
    expect((await app.request('GET', '/api/v1/places/lookup?lat=11.96&lon=108.46', operator)).body).toEqual({
      unit: null,
    });

    const good = await app.request('PUT', '/api/v1/places/boundaries', admin, {
      type: 'FeatureCollection',
      features,
    });
    expect(good).toEqual({
      status: 200,
      body: { imported: ['phuong-xuan-huong-da-lat', 'phuong-lam-vien-da-lat'] },
    });
    const lookup = await app.request('GET', '/api/v1/places/lookup?lat=11.96&lon=108.46', operator);
    expect(lookup.body.unit).toMatchObject({
      id: 'phuong-lam-vien-da-lat',
      boundaryBbox: [108.45, 11.95, 108.5, 12],
    });
    const boundary = await app.request(
      'GET',
      '/api/v1/places/units/phuong-lam-vien-da-lat/boundary',
      operator,
    );
    expect(boundary.body).toMatchObject({ type: 'Feature', geometry: { type: 'Polygon' } });

    // Named Xuân Hương, standing in Lâm Viên: the boundary decides.
    const device = await app.request('POST', '/api/v1/devices', admin, {
      id: 'dl-lv-noise-0001',
      kind: 'noise',
      city: 'da-lat',
      ward: 'phuong-xuan-huong-da-lat',
      lat: 11.97,
      lon: 108.47,
      name: 'Đo ồn chợ Đà Lạt',
    });
    expect(device.body.device.ward).toBe('phuong-lam-vien-da-lat');
    const moved = await app.request('PATCH', '/api/v1/devices/dl-lv-noise-0001', admin, {
      lat: 11.92,
      lon: 108.42,
    });
    expect(moved.body.ward).toBe('phuong-xuan-huong-da-lat');
  });

  it('accepts a former ward id on registration as its current unit, with a Warning header in both languages', async () => {
    const res = await fetch(`${app.baseUrl}/api/v1/devices`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'tn-p3-env-9001',
        kind: 'environment',
        city: 'tay-ninh',
        ward: 'phuong-3',
        lat: 11.31,
        lon: 106.1,
        name: 'Trạm thử Phường 3 cũ',
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { device: { ward: string } };
    expect(body.device.ward).toBe('phuong-tan-ninh');
    const warning = decodeURIComponent(res.headers.get('warning') ?? '');
    expect(warning).toMatch(/^299 - ".*phuong-3.*đơn vị cũ.*former unit.*2099-12-31/);
    // As a filter too: the former ward lists the unit it went into.
    const listed = await app.request('GET', '/api/v1/devices?ward=phuong-3', operator);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual(['tn-p3-env-9001']);
    await app.pool.query(
      `INSERT INTO alerts (rule_id, device_id, kind, city, ward, severity, state, message_vi, message_en, opened_at, last_seen_at)
       SELECT min(id), 'tn-p3-env-9001', 'environment', 'tay-ninh', 'phuong-tan-ninh', 'warning', 'open', 'Bụi', 'Dust', now(), now()
       FROM alert_rules`,
    );
    const alerts = await app.request('GET', '/api/v1/alerts?city=tay-ninh&ward=phuong-3', operator);
    expect(alerts.body.items.map((a: { deviceId: string }) => a.deviceId)).toEqual(['tn-p3-env-9001']);
    // And in a bulk acknowledgement's filter: the former ward acknowledges what stands in its unit now.
    const acknowledged = await app.request('POST', '/api/v1/alerts/acknowledge', operator, {
      filter: { city: 'tay-ninh', ward: 'phuong-3' },
    });
    expect(acknowledged.body).toMatchObject({
      acknowledged: alerts.body.items.map((a: { id: number }) => a.id),
    });
  });

  it("keeps an admin's edit of a shipped unit across a restart of the places area", async () => {
    const edited = await app.request('PATCH', '/api/v1/places/units/phuong-tan-ninh', admin, {
      centre: { lat: 11.31, lon: 106.1 },
    });
    expect(edited.body).toMatchObject({ origin: 'admin', centre: { lat: 11.31, lon: 106.1 }, code: '25459' });
    await app.places.start();
    expect(app.places.unit('phuong-tan-ninh')).toMatchObject({ centre: { lat: 11.31, lon: 106.1 } });
  });
});
