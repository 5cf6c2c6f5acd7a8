// Moving a device to another unit (PATCH /api/v1/devices/{id} with `ward`): where no unit boundary
// holds its position, the unit named is stored. Where one does, the position decides the unit, so a
// move that disagrees with it is refused with the reason in Vietnamese and English (the unit the
// position lies in, and that the position must change too), never answered 200 with the old unit.
// Moving the position moves the unit with it. Real API and database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let admin: Record<string, string>;

const square = (west: number, south: number, east: number, north: number) => [
  [west, south],
  [east, south],
  [east, north],
  [west, north],
  [west, south],
];

// Two of Hội An's wards get (simplified) boundaries; Phường Hội An Tây and Xã Tân Hiệp get none.
const inHoiAn = { lat: 15.87, lon: 108.33 };
const inHoiAnDong = { lat: 15.885, lon: 108.36 };
const outsideEveryBoundary = { lat: 15.9541, lon: 108.5224 };

async function register(id: string, fields: Record<string, unknown>) {
  const res = await app.request('POST', '/api/v1/devices', admin, {
    id,
    kind: 'noise',
    name: `Đo ồn ${id}`,
    ...fields,
  });
  expect(res.status).toBe(201);
  return res.body.device;
}

const wardOf = async (id: string) => (await app.request('GET', `/api/v1/devices/${id}`, admin)).body.ward;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  const imported = await app.request('PUT', '/api/v1/places/boundaries', admin, {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { id: 'phuong-hoi-an' },
        geometry: { type: 'Polygon', coordinates: [square(108.31, 15.855, 108.345, 15.878)] },
      },
      {
        type: 'Feature',
        properties: { id: 'phuong-hoi-an-dong' },
        geometry: { type: 'Polygon', coordinates: [square(108.345, 15.87, 108.375, 15.895)] },
      },
    ],
  });
  expect(imported.status).toBe(200);
}, 60_000);
afterAll(async () => app?.close());

describe('moving a device to another unit', () => {
  it('where no boundary exists, stores the unit named', async () => {
    await register('tn-move-0001', { city: 'tay-ninh', ward: 'phuong-tan-ninh', lat: 11.31, lon: 106.098 });
    const moved = await app.request('PATCH', '/api/v1/devices/tn-move-0001', admin, {
      city: 'tay-ninh',
      ward: 'phuong-binh-minh',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.ward).toBe('phuong-binh-minh');
    expect(await wardOf('tn-move-0001')).toBe('phuong-binh-minh');
    const listed = await app.request('GET', '/api/v1/devices?ward=phuong-binh-minh', admin);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toContain('tn-move-0001');
  });

  it('where a boundary holds the position, refuses a move it disagrees with and says why', async () => {
    await register('ha-move-0001', { city: 'hoi-an', ward: 'phuong-hoi-an', ...inHoiAn });
    for (const ward of ['phuong-hoi-an-dong', 'phuong-hoi-an-tay']) {
      const refused = await app.request('PATCH', '/api/v1/devices/ha-move-0001', admin, {
        city: 'hoi-an',
        ward,
      });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe('VALIDATION_FAILED');
      expect(refused.body.error.details).toMatchObject({ ward, positionWard: 'phuong-hoi-an' });
      const [field] = refused.body.error.details.fields;
      expect(field.field).toBe('ward');
      expect(field.vi).toMatch(/nằm trong ranh giới Phường Hội An, .*sửa cả vị trí/i);
      expect(field.en).toMatch(/lies within Hội An Ward, .*Change the position too/i);
      expect(refused.body.error.message).toContain(' / ');
      // Nothing changed.
      expect(await wardOf('ha-move-0001')).toBe('phuong-hoi-an');
    }
    // A new position and unit that agree in one request: moved.
    const both = await app.request('PATCH', '/api/v1/devices/ha-move-0001', admin, {
      ward: 'phuong-hoi-an-dong',
      ...inHoiAnDong,
    });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ ward: 'phuong-hoi-an-dong', ...inHoiAnDong });
    // A new position alone: the unit follows it.
    const back = await app.request('PATCH', '/api/v1/devices/ha-move-0001', admin, inHoiAn);
    expect(back.body.ward).toBe('phuong-hoi-an');
    // Naming the unit the position lies in is no refusal.
    const same = await app.request('PATCH', '/api/v1/devices/ha-move-0001', admin, {
      city: 'hoi-an',
      ward: 'phuong-hoi-an',
      name: 'Đo ồn chợ Hội An',
    });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ ward: 'phuong-hoi-an', name: 'Đo ồn chợ Hội An' });
  });

  it('refuses a new position and unit that disagree, keeping both as they were', async () => {
    await register('ha-move-0002', { city: 'hoi-an', ward: 'phuong-hoi-an', ...inHoiAn });
    const refused = await app.request('PATCH', '/api/v1/devices/ha-move-0002', admin, {
      ward: 'phuong-hoi-an',
      ...inHoiAnDong,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.positionWard).toBe('phuong-hoi-an-dong');
    const device = (await app.request('GET', '/api/v1/devices/ha-move-0002', admin)).body;
    expect(device).toMatchObject({ ward: 'phuong-hoi-an', ...inHoiAn });
  });

  it('in an area with boundaries, stores the unit named for a position outside every boundary', async () => {
    await register('ha-move-0003', { city: 'hoi-an', ward: 'xa-tan-hiep', ...outsideEveryBoundary });
    const moved = await app.request('PATCH', '/api/v1/devices/ha-move-0003', admin, {
      city: 'hoi-an',
      ward: 'phuong-hoi-an-tay',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.ward).toBe('phuong-hoi-an-tay');
  });
});
