// The notifications API on the whole running system: admins manage channels, contacts, schedules and
// policies and send a test message (to a real SMTP server on loopback); operators read the delivery
// log; secrets are written, never read back, and never reach the server's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startHttp, startSmtp, waitFor } from './servers.ts';

const smtpPassword = 'smtp-Pa55word-for-the-api-test';
const channelPassword = 'channel-0wn-SMTP-password';
const zaloToken = 'zalo-token-that-stays-secret-42';
const logLines: string[] = [];
let app: TestApp;
let admin: Record<string, string>;
let operator: Record<string, string>;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let hook: Awaited<ReturnType<typeof startHttp>>;
const bodies: string[] = [];

/** Every answer's text is kept, to check afterwards that no secret was ever in one. */
async function call(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const answer = await app.request(method, path, headers, body);
  bodies.push(JSON.stringify(answer.body));
  return answer;
}

beforeAll(async () => {
  smtp = await startSmtp({ username: 'ioc', password: smtpPassword });
  hook = await startHttp([{ status: 204, body: {} }]);
  app = await startTestApp(
    {
      LOG_LEVEL: 'info',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      NOTIFY_SMTP_HOST: '127.0.0.1',
      NOTIFY_SMTP_PORT: String(smtp.port),
      NOTIFY_SMTP_REQUIRE_TLS: 'false',
      NOTIFY_SMTP_USERNAME: 'ioc',
      NOTIFY_SMTP_PASSWORD: smtpPassword,
      NOTIFY_EMAIL_FROM: 'ioc@tayninh.gov.vn',
    },
    { logDestination: { write: (line) => void logLines.push(line) } },
  );
  admin = await app.login();
  operator = await app.loginAs('operator');
});

afterAll(async () => {
  await app?.close();
  await Promise.all([smtp?.close(), hook?.close()]);
});

describe('notifications API', () => {
  it('keeps channel secrets write-only: answers say a secret is set, never what it is', async () => {
    const created = await call('POST', '/api/v1/notifications/channels', admin, {
      name: 'Zalo OA Tây Ninh',
      type: 'zalo',
      settings: {},
      secrets: { accessToken: zaloToken },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      type: 'zalo',
      settings: { url: 'https://openapi.zalo.me/v3.0/oa/message/cs' },
      secrets: { accessToken: '[set]' },
    });
    const renamed = await call('PATCH', `/api/v1/notifications/channels/${created.body.id}`, admin, {
      name: 'Zalo OA trực ban',
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.secrets).toEqual({ accessToken: '[set]' });
    const email = await call('POST', '/api/v1/notifications/channels', admin, {
      name: 'Email (máy chủ riêng)',
      type: 'email',
      settings: { host: 'mail.tayninh.gov.vn', port: 465, secure: true, username: 'ioc' },
      secrets: { password: channelPassword },
    });
    expect(email.status).toBe(201);
    expect(email.body.secrets).toEqual({ password: '[set]' });
    const list = await call('GET', '/api/v1/notifications/channels', admin);
    expect(list.body.items.map((c: { name: string }) => c.name)).toContain('Zalo OA trực ban');
  });

  it('refuses what a channel of its type cannot be, and URLs into the server itself or the metadata service', async () => {
    const wrong = await call('POST', '/api/v1/notifications/channels', admin, {
      name: 'SMS',
      type: 'sms',
      settings: { provider: 'esms', brandname: 'IOC' },
      secrets: { token: 'x' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toMatch(/secrets/);
    const metadata = await call('POST', '/api/v1/notifications/channels', admin, {
      name: 'Hook',
      type: 'webhook',
      settings: { url: 'http://169.254.169.254/latest/meta-data' },
      secrets: { secret: 'a-webhook-secret-of-some-length' },
    });
    expect(metadata.status).toBe(400);
    expect(metadata.body.error.message).toMatch(/WEBHOOK_ALLOWED_HOSTS/);
  });

  it('sends a test message through an email channel and shows its outcome in the log', async () => {
    const channel = await call('POST', '/api/v1/notifications/channels', admin, {
      name: 'Email (SMTP của thành phố)',
      type: 'email',
      settings: {},
    });
    expect(channel.status).toBe(201);
    const queued = await call('POST', `/api/v1/notifications/channels/${channel.body.id}/test`, admin, {
      to: 'duty@tayninh.gov.vn',
    });
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ event: 'test', recipient: 'du***@tayninh.gov.vn' });
    const mail = await waitFor(
      () => smtp.mails.find((m) => m.to.includes('duty@tayninh.gov.vn')),
      'the email',
    );
    expect(mail.text).toContain('Tin thử từ IOC');
    expect(mail.text).toContain('Test message from the IOC');
    const sent = await waitFor(async () => {
      const entry = await call('GET', `/api/v1/notifications/deliveries/${queued.body.id}`, operator);
      return entry.body.status === 'sent' && entry.body;
    }, 'the log entry');
    expect(sent).toMatchObject({ attempts: 1, lastError: null, channelType: 'email' });
    expect(sent).not.toHaveProperty('address');
  });

  it('sends a signed test message to a webhook channel', async () => {
    const channel = await call('POST', '/api/v1/notifications/channels', admin, {
      name: 'Webhook',
      type: 'webhook',
      settings: { url: hook.url('/ioc?token=abc') },
      secrets: { secret: 'a-webhook-secret-of-some-length' },
    });
    const queued = await call('POST', `/api/v1/notifications/channels/${channel.body.id}/test`, admin, {});
    expect(queued.body.recipient).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…$/);
    const request = await waitFor(() => hook.requests[0], 'the webhook');
    expect(request.headers['x-ioc-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(request.body).toEqual({ event: 'notification.test', alert: null, step: null });
  });

  it('lets admins write contacts, schedules and policies, and checks a policy steps in order', async () => {
    const contact = await call('POST', '/api/v1/notifications/contacts', admin, {
      name: 'Nguyễn Văn An',
      email: 'an.nv@tayninh.gov.vn',
      phone: '0912345678',
    });
    expect(contact.status).toBe(201);
    const schedule = await call('POST', '/api/v1/notifications/schedules', admin, {
      name: 'Trực ban',
      shifts: [{ days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '00:00', contactIds: [contact.body.id] }],
    });
    expect(schedule.status).toBe(201);
    const onCall = await call('GET', `/api/v1/notifications/schedules/${schedule.body.id}/on-call`, operator);
    expect(onCall.body.contactIds).toEqual([contact.body.id]);
    const steps = [
      { afterMinutes: 15, scheduleIds: [schedule.body.id], channelIds: [1] },
      { afterMinutes: 5, contactIds: [contact.body.id], channelIds: [1] },
    ];
    const unordered = await call('POST', '/api/v1/notifications/policies', admin, {
      name: 'Khẩn cấp',
      severities: ['critical'],
      steps,
    });
    expect(unordered.status).toBe(400);
    const policy = await call('POST', '/api/v1/notifications/policies', admin, {
      name: 'Khẩn cấp',
      city: 'tay-ninh',
      severities: ['critical'],
      steps: [...steps].reverse(),
      quietHours: { start: '22:00', end: '06:00' },
    });
    expect(policy.status).toBe(201);
    expect(policy.body).toMatchObject({ quietHours: { action: 'hold' }, notifyOnClose: true, enabled: true });
  });

  it('lets operators read the log but not change channels; viewers read neither', async () => {
    expect((await call('GET', '/api/v1/notifications/deliveries?status=sent', operator)).status).toBe(200);
    expect((await call('GET', '/api/v1/notifications/channels', operator)).status).toBe(403);
    const viewer = await app.loginAs('viewer');
    expect((await call('GET', '/api/v1/notifications/deliveries', viewer)).status).toBe(403);
  });

  it('never shows a secret in an answer or writes one to the log', () => {
    const answers = bodies.join('\n');
    const log = logLines.join('');
    for (const secret of [smtpPassword, channelPassword, zaloToken, 'a-webhook-secret-of-some-length']) {
      expect(answers).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
  });
});
