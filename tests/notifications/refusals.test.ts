// The notifications API refuses a body that does not fit, naming each field that is wrong (the console's
// forms show the reason next to that field), and publishes the exact shape it accepts: a channel body is
// one alternative per type, with each provider's settings and secrets, so forms are drawn from it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
let admin: Record<string, string>;

beforeAll(async () => {
  app = await startTestApp();
  admin = await app.login();
});
afterAll(async () => {
  await app?.close();
});

/** The paths a 400 answer names in its details, e.g. body.settings.port. */
async function refusedFields(method: string, path: string, body: unknown): Promise<string[]> {
  const answer = await app.request(method, path, admin, body);
  expect(answer.status, JSON.stringify(answer.body)).toBe(400);
  expect(answer.body.error.code).toBe('VALIDATION_FAILED');
  return (answer.body.error.details as Array<{ path: string }>).map((d) => d.path);
}

describe('refusals of notification bodies, field by field', () => {
  it('names the wrong field of a channel of each type', async () => {
    const post = (body: unknown) => refusedFields('POST', '/api/v1/notifications/channels', body);
    expect(await post({ name: 'Fax', type: 'fax', settings: {} })).toContain('body.type');
    expect(
      await post({ name: 'Email', type: 'email', settings: { host: 'mail.tayninh.gov.vn', port: 70_000 } }),
    ).toContain('body.settings.port');
    // A secret typed where settings go is refused, so it can never be shown back as a setting.
    expect(await post({ name: 'Email', type: 'email', settings: { password: 'hunter2' } })).toContain(
      'body.settings',
    );
    expect(
      await post({
        name: 'Webhook',
        type: 'webhook',
        settings: { url: 'https://dispatch.example.vn/ioc' },
        secrets: { secret: 'short' },
      }),
    ).toContain('body.secrets.secret');
    expect(
      await post({
        name: 'Zalo',
        type: 'zalo',
        settings: { url: 'not a url' },
        secrets: { accessToken: 'x' },
      }),
    ).toContain('body.settings.url');
    expect(await post({ name: 'Zalo', type: 'zalo', settings: {}, secrets: {} })).toContain(
      'body.secrets.accessToken',
    );
    // eSMS needs its API key and secret; a gateway's token alone is not enough for it.
    expect(
      await post({
        name: 'SMS',
        type: 'sms',
        settings: { provider: 'esms', brandname: 'IOC-TAYNINH' },
        secrets: { token: 'Bearer abc' },
      }),
    ).toEqual(expect.arrayContaining(['body.secrets.apiKey', 'body.secrets.secret']));
    expect(
      await post({
        name: 'SMS',
        type: 'sms',
        settings: { provider: 'esms', brandname: 'A-BRANDNAME-TOO-LONG' },
        secrets: { apiKey: 'k', secret: 's' },
      }),
    ).toContain('body.settings.brandname');
    expect(await post({ name: '', type: 'email' })).toContain('body.name');
  });

  it('names the field a change to a channel breaks, after merging it with what is stored', async () => {
    const created = await app.request('POST', '/api/v1/notifications/channels', admin, {
      name: 'Email',
      type: 'email',
      settings: {},
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(
      await refusedFields('PATCH', `/api/v1/notifications/channels/${id}`, { settings: { port: 0 } }),
    ).toContain('body.settings.port');
    expect(
      await refusedFields('PATCH', `/api/v1/notifications/channels/${id}`, { secrets: { password: 42 } }),
    ).toContain('body.secrets.password');
  });

  it('names the wrong field of a contact, a schedule and a policy', async () => {
    expect(
      await refusedFields('POST', '/api/v1/notifications/contacts', {
        name: 'Trần Thị Bình',
        email: 'not-an-address',
        phone: '09-1234',
      }),
    ).toEqual(expect.arrayContaining(['body.email', 'body.phone']));
    expect(
      await refusedFields('POST', '/api/v1/notifications/schedules', {
        name: 'Trực đêm',
        shifts: [{ days: [8], start: '25:00', end: '07:00', contactIds: [1] }],
      }),
    ).toEqual(expect.arrayContaining(['body.shifts.0.days.0', 'body.shifts.0.start']));
    expect(
      await refusedFields('POST', '/api/v1/notifications/policies', {
        name: 'Khẩn cấp',
        severities: ['urgent'],
        steps: [{ afterMinutes: 0, contactIds: [1], channelIds: [] }],
        quietHours: { start: '22:00', end: '22:00' },
      }),
    ).toEqual(expect.arrayContaining(['body.severities.0', 'body.steps.0.channelIds', 'body.quietHours']));
  });

  it('publishes a channel body with one alternative per type and per SMS provider', async () => {
    const doc = (await app.request('GET', '/docs/json')).body;
    const schema =
      doc.paths['/api/v1/notifications/channels'].post.requestBody.content['application/json'].schema;
    const types = schema.oneOf.map((a: any) => a.properties.type.enum[0]);
    expect(types).toEqual(['email', 'sms', 'zalo', 'webhook']);
    const sms = schema.oneOf[1].properties;
    expect(sms.settings.oneOf.map((a: any) => a.properties.provider.enum[0])).toEqual(['esms', 'generic']);
    // Which secrets go with which provider: each alternative's title names its provider.
    expect(sms.secrets.anyOf.map((a: any) => a.title)).toEqual(['esms', 'generic']);
    expect(Object.keys(schema.oneOf[0].properties.secrets.properties)).toEqual(['password']);
  });
});
