// A device an admin disables: the API shows it disabled and lists it by that, the broker refuses it
// with "not authorized" (CONNACK 5, reason device_disabled) while a wrong secret still gets "bad
// credentials" (4), and once enabled it connects with the secret it had. The installer's connection
// details carry a QR code (SVG) that holds the secret only in the answer that issues it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { connectDevice } from '../helpers/mqtt.ts';

let app: TestApp;
let admin: Record<string, string>;
let secret: string;
const id = 'tn-noise-disable-01';

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
  const res = await app.request('POST', '/api/v1/devices', admin, {
    id,
    kind: 'noise',
    city: 'tay-ninh',
    ward: 'phuong-tan-ninh',
    lat: 11.31,
    lon: 106.098,
    name: 'Tiếng ồn – tạm ngừng',
  });
  expect(res.status).toBe(201);
  secret = res.body.credentials.secret;
}, 60_000);
afterAll(async () => app?.close());

/** The CONNACK code of a refused connection; 0 when it was accepted. */
const connackOf = (password: string) =>
  connectDevice(app.mqttUrl, id, password).then(
    (client) => {
      client.end(true);
      return 0;
    },
    (error: { code?: number }) => error.code,
  );

describe('disabling a device', { timeout: 60_000 }, () => {
  it('refuses it at connect with its own reason, lists it as disabled, and lets it back when enabled', async () => {
    expect(await connackOf(secret)).toBe(0);
    const disabled = await app.request('POST', `/api/v1/devices/${id}/disable`, admin);
    expect(disabled.status).toBe(200);
    expect(typeof disabled.body.disabledAt).toBe('string');
    expect((await app.request('GET', `/api/v1/devices/${id}`, admin)).body.disabledAt).toBe(
      disabled.body.disabledAt,
    );
    const listed = await app.request('GET', '/api/v1/devices?disabled=true', admin);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toEqual([id]);
    expect(
      (await app.request('GET', '/api/v1/devices?disabled=false&limit=10000', admin)).body.items.some(
        (d: { id: string }) => d.id === id,
      ),
    ).toBe(false);

    expect(await connackOf(secret)).toBe(5);
    expect(await connackOf('not-the-secret')).toBe(4);

    const enabled = await app.request('POST', `/api/v1/devices/${id}/enable`, admin);
    expect(enabled.status).toBe(200);
    expect(enabled.body.disabledAt).toBeNull();
    expect(await connackOf(secret)).toBe(0);
    expect((await app.request('POST', '/api/v1/devices/khong-co/disable', admin)).status).toBe(404);
  });

  it('gives the installer a QR code, with the secret only when one is issued', async () => {
    const shown = await app.request('GET', `/api/v1/devices/${id}/connection`, admin);
    expect(shown.status).toBe(200);
    expect(shown.body.qrSvg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(shown.body.secret).toBeUndefined();
    const issued = await app.request('POST', `/api/v1/devices/${id}/connection`, admin);
    expect(issued.status).toBe(200);
    expect(issued.body.secret).toMatch(/.{16,}/);
    // The QR's SVG differs from the secretless one: it encodes more text (the password).
    expect(issued.body.qrSvg).not.toBe(shown.body.qrSvg);
    expect(await connackOf(issued.body.secret)).toBe(0);
  });
});
