// Escalation end to end on real servers: PostgreSQL, an SMTP server, an eSMS-shaped SMS gateway and a
// Zalo OA endpoint on loopback. Time is the injected clock: each step is a round run at a moved time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertLifecycle } from '../../src/alerts/lifecycle.ts';
import type { Rule } from '../../src/alerts/rules.ts';
import { createEventBus } from '../../src/events/bus.ts';
import { createLogger } from '../../src/log.ts';
import { createOutboundPolicy } from '../../src/net/outbound.ts';
import { createNotifications, type Notifications } from '../../src/notifications/index.ts';
import { createAlertQueries } from '../../src/storage/alerts.ts';
import type { Pool } from '../../src/storage/pool.ts';
import { useMigratedDatabase } from '../helpers/database.ts';
import { startHttp, startSmtp, waitFor } from './servers.ts';

const secrets = {
  smtp: 'smtp-Pa55word-never-logged',
  esmsKey: 'ESMS-API-KEY-0123456789',
  esmsSecret: 'ESMS-SECRET-KEY-9876543210',
  zalo: 'zalo-access-token-abcdefghijklmnop',
};

let pool: Pool;
useMigratedDatabase((p) => {
  pool = p;
});

/** Local wall-clock time in Vietnam (UTC+7). */
const local = (text: string) => new Date(`${text}+07:00`);
let now = local('2026-03-17T09:00');
const clock = () => now;
const advance = (minutes: number) => {
  now = new Date(now.getTime() + minutes * 60_000);
};

const logLines: string[] = [];
const log = createLogger('debug', { write: (line: string) => void logLines.push(line) });
const bus = createEventBus();
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let sms: Awaited<ReturnType<typeof startHttp>>;
let zalo: Awaited<ReturnType<typeof startHttp>>;
let notifications: Notifications;
let rules: Record<'critical' | 'warning', Rule>;
const alertQueries = () => createAlertQueries(pool);
const lifecycle = () => createAlertLifecycle({ queries: alertQueries(), bus, clock });

function startNotifications(): Notifications {
  const n = createNotifications({
    pool,
    bus,
    log,
    clock,
    isLeader: () => true,
    policy: createOutboundPolicy(['127.0.0.1']),
    smtp: {
      host: '127.0.0.1',
      port: smtp.port,
      secure: false,
      requireTls: false,
      username: 'ioc',
      password: secrets.smtp,
      from: 'ioc@tayninh.gov.vn',
    },
    alertById: (id) => alertQueries().get(id),
    pollMs: 3_600_000, // rounds run when the test says so
  });
  n.start();
  return n;
}

async function openAlert(severity: 'critical' | 'warning', deviceId: string, city = 'tay-ninh') {
  return lifecycle().open({
    rule: rules[severity],
    device: { id: deviceId, kind: 'fire', city, ward: 'phuong-tan-ninh' },
    messageVi: 'Báo cháy tại trạm',
    messageEn: 'Fire alarm at the station',
    value: 1,
    details: {},
    at: now,
    repeats: 1,
  });
}

async function deliveries(alertId: number) {
  return notifications.queries.deliveries.list({ alertId, limit: 100 });
}

let channelIds: { email: number; sms: number; zalo: number };
let contactIds: { an: number; binh: number; chi: number };

beforeAll(async () => {
  smtp = await startSmtp({ username: 'ioc', password: secrets.smtp });
  sms = await startHttp([{ status: 200, body: { CodeResult: '100', CountRegenerate: 0, SMSID: 'abc' } }]);
  zalo = await startHttp([
    { status: 200, body: { error: 0, message: 'Success', data: { message_id: 'm1' } } },
  ]);
  const queries = alertQueries();
  const rule = (severity: 'critical' | 'warning') =>
    queries.createRule({
      name: `test ${severity}`,
      type: 'event',
      forS: 0,
      severity,
      params: {},
      messageVi: 'Báo cháy',
      messageEn: 'Fire alarm',
      enabled: true,
    });
  rules = { critical: await rule('critical'), warning: await rule('warning') };
  notifications = startNotifications();
  const q = notifications.queries;
  const email = await q.channels.create({
    name: 'Email trực ban',
    type: 'email',
    settings: {},
    secrets: {},
    enabled: true,
  });
  const esms = await q.channels.create({
    name: 'SMS eSMS',
    type: 'sms',
    settings: {
      provider: 'esms',
      url: sms.url('/MainService.svc/json/SendMultipleMessage_V4_post_json/'),
      brandname: 'IOC-TAYNINH',
      smsType: '2',
      unicode: false,
      sandbox: false,
    },
    secrets: { apiKey: secrets.esmsKey, secret: secrets.esmsSecret },
    enabled: true,
  });
  const zaloChannel = await q.channels.create({
    name: 'Zalo OA',
    type: 'zalo',
    settings: { url: zalo.url('/v3.0/oa/message/cs') },
    secrets: { accessToken: secrets.zalo },
    enabled: true,
  });
  channelIds = { email: email.id, sms: esms.id, zalo: zaloChannel.id };
  const contact = (name: string, email: string, phone: string | null, zaloUserId: string | null) =>
    q.contacts.create({ name, username: null, email, phone, zaloUserId, enabled: true });
  contactIds = {
    an: (await contact('Nguyễn Văn An', 'an.nv@tayninh.gov.vn', '0912345678', '2468458835296117922')).id,
    binh: (await contact('Trần Thị Bình', 'binh.tt@tayninh.gov.vn', null, null)).id,
    chi: (await contact('Lê Minh Chí', 'chi.lm@tayninh.gov.vn', null, null)).id,
  };
  const schedule = await q.schedules.create({
    name: 'Trực ban Tây Ninh',
    shifts: [
      { days: [1, 2, 3, 4, 5, 6, 7], start: '07:00', end: '19:00', contactIds: [contactIds.binh] },
      { days: [1, 2, 3, 4, 5, 6, 7], start: '19:00', end: '07:00', contactIds: [contactIds.chi] },
    ],
  });
  await q.policies.create(
    {
      name: 'Khẩn cấp Tây Ninh',
      city: 'tay-ninh',
      severities: ['critical'],
      steps: [
        { afterMinutes: 0, scheduleIds: [schedule.id], contactIds: [], channelIds: [email.id] },
        {
          afterMinutes: 10,
          scheduleIds: [],
          contactIds: [contactIds.an],
          channelIds: [esms.id, zaloChannel.id],
        },
      ],
      quietHours: null,
      notifyOnClose: true,
      enabled: true,
    },
    now,
  );
  await q.policies.create(
    {
      name: 'Hội An, yên tĩnh ban đêm',
      city: 'hoi-an',
      severities: ['warning', 'critical'],
      steps: [{ afterMinutes: 0, scheduleIds: [], contactIds: [contactIds.an], channelIds: [email.id] }],
      quietHours: { start: '22:00', end: '06:00', action: 'hold' },
      notifyOnClose: false,
      enabled: true,
    },
    now,
  );
});

afterAll(async () => {
  await notifications?.stop();
  await Promise.all([smtp?.close(), sms?.close(), zalo?.close()]);
});

const mailsTo = (address: string) => smtp.mails.filter((m) => m.to.includes(address));

describe('escalation', () => {
  it('an unacknowledged critical alert goes by email to whoever is on call, then by SMS and Zalo after the minutes set', async () => {
    const alert = await openAlert('critical', 'tn-fire-0001');
    await notifications.runOnce();
    const mail = await waitFor(() => mailsTo('binh.tt@tayninh.gov.vn')[0], 'the email');
    expect(mail!.user).toBe('ioc');
    expect(mail!.from).toBe('ioc@tayninh.gov.vn');
    expect(mail!.text).toContain('Cảnh báo mới [Khẩn cấp]: Báo cháy tại trạm');
    expect(mail!.text).toContain('New alert [Critical]: Fire alarm at the station');
    expect(mail!.text).toContain(`Alert id: ${alert.id}`);
    expect(mail!.text).toContain('09:00 17/03/2026');
    expect(mailsTo('chi.lm@tayninh.gov.vn')).toHaveLength(0); // the night shift is off duty
    expect(sms.requests).toHaveLength(0);

    advance(9);
    await notifications.runOnce();
    expect(sms.requests).toHaveLength(0);

    // A restart between two steps: a new instance carries on from what PostgreSQL holds.
    await notifications.stop();
    notifications = startNotifications();
    advance(1);
    await notifications.runOnce();
    expect(sms.requests).toHaveLength(1);
    const request = sms.requests[0]!;
    expect(request.path).toBe('/MainService.svc/json/SendMultipleMessage_V4_post_json/');
    expect(request.headers['content-type']).toBe('application/json');
    expect(Object.keys(request.body).sort()).toEqual(
      [
        'ApiKey',
        'Brandname',
        'Content',
        'IsUnicode',
        'Phone',
        'RequestId',
        'Sandbox',
        'SecretKey',
        'SmsType',
      ].sort(),
    );
    expect(request.body).toMatchObject({
      ApiKey: secrets.esmsKey,
      SecretKey: secrets.esmsSecret,
      Phone: '0912345678',
      Brandname: 'IOC-TAYNINH',
      SmsType: '2',
      IsUnicode: '0',
      Sandbox: '0',
    });
    expect(request.body.Content).toContain('Canh bao chua duoc xac nhan (Khan cap): Bao chay tai tram'); // no diacritics
    expect(zalo.requests).toHaveLength(1);
    expect(zalo.requests[0]!.path).toBe('/v3.0/oa/message/cs');
    expect(zalo.requests[0]!.headers.access_token).toBe(secrets.zalo);
    expect(zalo.requests[0]!.body).toEqual({
      recipient: { user_id: '2468458835296117922' },
      message: { text: expect.stringContaining('Cảnh báo chưa được xác nhận [Khẩn cấp]') },
    });
    const log = await deliveries(alert.id);
    expect(log.map((d) => [d.event, d.channelType, d.recipient, d.status]).sort()).toEqual(
      [
        ['opened', 'email', 'bi***@tayninh.gov.vn', 'sent'],
        ['escalated', 'sms', '091***678', 'sent'],
        ['escalated', 'zalo', '2468***7922', 'sent'],
      ].sort(),
    );

    // The chain has ended: later rounds send nothing more.
    advance(60);
    await notifications.runOnce();
    expect(sms.requests).toHaveLength(1);
  });

  it('an acknowledged alert stops escalating, and whoever was told hears it was acknowledged', async () => {
    const alert = await openAlert('critical', 'tn-fire-0002');
    await notifications.runOnce();
    await waitFor(
      async () => (await deliveries(alert.id)).some((d) => d.status === 'sent'),
      'the first step',
    );
    const smsBefore = sms.requests.length;
    await lifecycle().acknowledge(alert.id, 'operator1', 'đang xử lý');
    await waitFor(
      async () => (await deliveries(alert.id)).some((d) => d.event === 'acknowledged'),
      'the notice',
    );
    advance(15);
    await notifications.runOnce();
    expect(sms.requests).toHaveLength(smsBefore);
    const log = await deliveries(alert.id);
    expect(log.filter((d) => d.event === 'escalated')).toEqual([]);
    const notice = log.find((d) => d.event === 'acknowledged');
    expect(notice).toMatchObject({ status: 'sent', recipient: 'bi***@tayninh.gov.vn' });
    const mail = mailsTo('binh.tt@tayninh.gov.vn').at(-1)!;
    expect(mail.text).toContain('Đã xác nhận');
    expect(mail.text).toContain('Người xử lý / By: operator1');
  });

  it('quiet hours hold a warning until they end; a critical alert goes at once', async () => {
    now = local('2026-03-17T23:30');
    const before = mailsTo('an.nv@tayninh.gov.vn').length;
    const warning = await openAlert('warning', 'ha-noise-0001', 'hoi-an');
    const critical = await openAlert('critical', 'ha-fire-0001', 'hoi-an');
    await notifications.runOnce();
    expect((await deliveries(critical.id)).map((d) => d.status)).toEqual(['sent']);
    const held = await deliveries(warning.id);
    expect(held.map((d) => d.status)).toEqual(['held']);
    expect(held[0]!.nextAttemptAt.toISOString()).toBe(local('2026-03-18T06:00').toISOString());
    expect(mailsTo('an.nv@tayninh.gov.vn')).toHaveLength(before + 1);

    now = local('2026-03-18T05:59');
    await notifications.runOnce();
    expect(mailsTo('an.nv@tayninh.gov.vn')).toHaveLength(before + 1);
    now = local('2026-03-18T06:00');
    await notifications.runOnce();
    expect((await deliveries(warning.id)).map((d) => d.status)).toEqual(['sent']);
    expect(mailsTo('an.nv@tayninh.gov.vn')).toHaveLength(before + 2);
  });
});

describe('delivery', () => {
  it('a failing channel retries with back-off, logging each failure, until the gateway takes it', async () => {
    sms.answer([
      { status: 503, body: {} },
      { status: 503, body: {} },
      { status: 200, body: { CodeResult: '100', SMSID: 'x' } },
    ]);
    const queued = await notifications.sendTest(channelIds.sms, '0987654321');
    const id = queued!.id;
    await notifications.runOnce();
    expect(await notifications.queries.deliveries.get(id)).toMatchObject({
      status: 'retrying',
      attempts: 1,
      lastError: 'HTTP 503',
    });
    advance(1 / 60); // 1 s: not yet (the first retry waits 2 s)
    await notifications.runOnce();
    expect((await notifications.queries.deliveries.get(id))!.attempts).toBe(1);
    advance(2 / 60);
    await notifications.runOnce();
    expect(await notifications.queries.deliveries.get(id)).toMatchObject({ status: 'retrying', attempts: 2 });
    advance(4 / 60);
    await notifications.runOnce();
    expect(await notifications.queries.deliveries.get(id)).toMatchObject({ status: 'sent', attempts: 3 });
    const retries = logLines.filter(
      (l) => l.includes('notification not delivered; will retry') && l.includes(`"deliveryId":${id}`),
    );
    expect(retries).toHaveLength(2);
    expect(retries[0]).toContain('"recipient":"098***321"');
  });

  it('a refusal that would repeat is not retried: eSMS CodeResult, an expired Zalo token', async () => {
    sms.answer([{ status: 200, body: { CodeResult: '101', ErrorMessage: 'Authorize Failed' } }]);
    zalo.answer([{ status: 200, body: { error: -216, message: 'Access token is invalid' } }]);
    const a = await notifications.sendTest(channelIds.sms, '0987654321');
    const b = await notifications.sendTest(channelIds.zalo, '2468458835296117922');
    await notifications.runOnce();
    expect(await notifications.queries.deliveries.get(a!.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'eSMS CodeResult 101',
    });
    expect((await notifications.queries.deliveries.get(b!.id))!.lastError).toMatch(
      /^Zalo error -216: the access token/,
    );
  });

  it('writes no secret and no whole phone number to the log', () => {
    const text = logLines.join('');
    expect(text.length).toBeGreaterThan(0);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    expect(text).not.toContain('0912345678');
    expect(text).not.toContain('0987654321');
  });
});
