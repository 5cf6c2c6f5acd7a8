import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertLifecycle } from '../../src/alerts/lifecycle.ts';
import { createLogger } from '../../src/log.ts';
import { createOutboundPolicy } from '../../src/net/outbound.ts';
import { createNotifications } from '../../src/notifications/index.ts';
import { createAlertQueries } from '../../src/storage/alerts.ts';
import { startTestApp, type TestApp, testAdminPassword } from '../helpers/app.ts';
import { violations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { loggedInConsole } from '../helpers/console.ts';
import { startSmtp, waitFor } from '../notifications/servers.ts';

const smtpPassword = 'Channel-0wn-SMTP-Pa55word';
const logLines: string[] = [];
let app: TestApp;
let browser: Browser;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let admin: Page;

async function loggedIn(username: string, path = '/'): Promise<Page> {
  const page = await loggedInConsole(browser, app.baseUrl, username, { path });
  page.setDefaultTimeout(15_000);
  return page;
}

/** Opens a section of the page and waits until it is drawn. */
async function section(page: Page, id: string) {
  await page.evaluate((id) => {
    (globalThis as any).location.hash = `#admin/notifications/${id}`;
  }, id);
  await page.waitForSelector(`#notif-${id} table.admin-table`);
  await page.waitForFunction(() => !(globalThis as any).document.querySelector('#admin-page[aria-busy]'));
}

beforeAll(async () => {
  smtp = await startSmtp({ username: 'ioc-channel', password: smtpPassword });
  app = await startTestApp(
    { LOG_LEVEL: 'info', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' },
    { logDestination: { write: (line) => void logLines.push(line) } },
  );
  await app.loginAs('operator');
  browser = await launchChromium();
  admin = await loggedIn('admin', '/#admin/notifications');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await smtp?.close();
});

describe('the notifications page', { timeout: 90_000 }, () => {
  it('creates an email channel in its form, and a test message reaches the SMTP server', async () => {
    await admin.waitForSelector('#notif-channels form.admin-form');
    expect(await admin.textContent('.notif-tabs a[aria-current="page"]')).toBe('Kênh gửi');
    expect(await admin.inputValue('#notif-channel-kind')).toBe('email');
    const form = admin.locator('#notif-channels form.admin-form');
    await form.locator('[name="name"]').fill('Email trực ban');
    await form.locator('[name="settings.host"]').fill('127.0.0.1');
    await form.locator('[name="settings.port"]').fill(String(smtp.port));
    await form.locator('[name="settings.username"]').fill('ioc-channel');
    await form.locator('[name="settings.from"]').fill('ioc@tayninh.gov.vn');
    await form.getByLabel('Mật khẩu SMTP').fill(smtpPassword);
    expect(await violations(admin)).toEqual([]);
    await form.getByRole('button', { name: 'Tạo kênh' }).click();
    await admin.waitForSelector('#notif-channels td:text-is("Email trực ban")');
    // The list says the password is set, never what it is.
    expect(await admin.textContent('#notif-channels table')).toContain('Mật khẩu SMTP');

    await admin.getByRole('button', { name: 'Gửi tin thử: Email trực ban' }).click();
    await admin.getByLabel('Gửi tới địa chỉ email').fill('truc.ban@tayninh.gov.vn');
    await admin.locator('.notif-test button[type=submit]').click();
    await admin.waitForSelector('.notif-outcome[data-status="sent"]', { timeout: 30_000 });
    expect(await admin.textContent('.notif-outcome')).toMatch(/^đã gửi — tr\*\*\*@tayninh\.gov\.vn/);
    const mail = await waitFor(
      () => smtp.mails.find((m) => m.to.includes('truc.ban@tayninh.gov.vn')),
      'the test email',
    );
    expect(mail.user).toBe('ioc-channel');
    expect(mail.text).toContain('Tin thử từ IOC');
    expect(await violations(admin)).toEqual([]);
  });

  it('adds contacts and a schedule, and says who is on call now', async () => {
    await section(admin, 'contacts');
    for (const [name, email] of [
      ['Nguyễn Văn An', 'an.nv@tayninh.gov.vn'],
      ['Trần Thị Bình', 'binh.tt@tayninh.gov.vn'],
    ]) {
      const form = admin.locator('#notif-contacts form.admin-form');
      await form.locator('[name="name"]').fill(name!);
      await form.locator('[name="email"]').fill(email!);
      await form.locator('[name="phone"]').fill('0912345678');
      await form.getByRole('button', { name: 'Thêm người nhận' }).click();
      await admin.waitForSelector(`#notif-contacts td:text-is("${name}")`);
    }
    // A wrong phone number is refused next to its field.
    const form = admin.locator('#notif-contacts form.admin-form');
    await form.locator('[name="name"]').fill('Lê Văn Cường');
    await form.locator('[name="phone"]').fill('09-12');
    await form.getByRole('button', { name: 'Thêm người nhận' }).click();
    await admin.waitForSelector('#notif-contacts .field.invalid [name="phone"]');
    expect(await violations(admin)).toEqual([]);

    await section(admin, 'schedules');
    const schedule = admin.locator('#notif-schedules form.admin-form');
    await schedule.locator('[name="name"]').fill('Trực ban cả tuần');
    const shift = schedule.locator('.notif-rows li').first();
    for (const day of ['Thứ Bảy', 'Chủ Nhật']) await shift.getByLabel(day).check();
    await shift.getByLabel('Từ').fill('00:00');
    await shift.getByLabel('Đến').fill('00:00');
    await shift.getByLabel('Nguyễn Văn An').check();
    await schedule.getByRole('button', { name: 'Thêm lịch trực' }).click();
    await admin.waitForSelector('#notif-schedules td:text-is("Trực ban cả tuần")');
    const row = admin.locator('#notif-schedules tbody tr').first();
    expect(await row.locator('td').nth(2).textContent()).toBe('Nguyễn Văn An');
    expect(await row.locator('td').nth(1).textContent()).toContain('T2, T3, T4, T5, T6, T7, CN 00:00–00:00');
    expect(await violations(admin)).toEqual([]);
  });

  it('writes an escalation policy in its form, and an unacknowledged critical alert escalates by it', async () => {
    await section(admin, 'policies');
    const form = admin.locator('#notif-policies form.admin-form');
    await form.locator('[name="name"]').fill('Khẩn cấp: trực ban rồi lãnh đạo');
    expect(await form.getByLabel('Khẩn cấp').isChecked()).toBe(true);
    const steps = form.locator('.notif-rows li');
    await steps.nth(0).getByLabel('Trực ban cả tuần').check();
    await steps.nth(0).getByLabel('Email trực ban').check();
    await form.getByRole('button', { name: 'Thêm bước' }).click();
    await steps.nth(1).getByLabel('Sau (phút, khi chưa ai xác nhận)').fill('10');
    await steps.nth(1).getByLabel('Trần Thị Bình').check();
    await steps.nth(1).getByLabel('Email trực ban').check();
    expect(await violations(admin)).toEqual([]);
    await form.getByRole('button', { name: 'Thêm chính sách' }).click();
    await admin.waitForSelector('#notif-policies td:text-is("Khẩn cấp: trực ban rồi lãnh đạo")');
    expect(await admin.textContent('#notif-policies tbody tr')).toContain(
      'Sau 10 phút: Trần Thị Bình qua Email trực ban',
    );

    // A critical alert opens and nobody acknowledges it.
    const alertQueries = createAlertQueries(app.pool);
    const rule = await alertQueries.createRule({
      name: 'Báo cháy (thử)',
      type: 'event',
      forS: 0,
      severity: 'critical',
      params: {},
      messageVi: 'Báo cháy',
      messageEn: 'Fire alarm',
      enabled: true,
    });
    const alert = await createAlertLifecycle({
      queries: alertQueries,
      bus: app.bus,
      clock: () => new Date(),
    }).open({
      rule,
      device: { id: 'tn-fire-0001', kind: 'fire', city: 'tay-ninh', ward: 'phuong-tan-ninh' },
      messageVi: 'Báo cháy tại trạm',
      messageEn: 'Fire alarm at the station',
      value: 1,
      details: {},
      at: new Date(),
      repeats: 1,
    });
    // Step 0 at once: whoever is on call (An) by email.
    const first = await waitFor(
      () =>
        smtp.mails.find(
          (m) => m.to.includes('an.nv@tayninh.gov.vn') && m.text.includes(`Alert id: ${alert.id}`),
        ),
      'the first step',
      15_000,
    );
    expect(first.text).toContain('Báo cháy tại trạm');
    expect(smtp.mails.some((m) => m.to.includes('binh.tt@tayninh.gov.vn'))).toBe(false);
    await waitFor(async () => {
      const rows = await app.notifications.queries.deliveries.list({ alertId: alert.id, limit: 10 });
      return rows.length > 0 && rows.every((d) => d.status === 'sent');
    }, 'the first step logged as sent');

    // Eleven minutes later, still unacknowledged: step 1 goes to Bình. A second instance on the same
    // database runs the round at the moved clock (the app's own runs on the real one).
    const later = new Date(Date.now() + 11 * 60_000);
    const moved = createNotifications({
      pool: app.pool,
      bus: app.bus,
      log: createLogger('silent'),
      clock: () => later,
      isLeader: () => true,
      policy: createOutboundPolicy(['127.0.0.1']),
      smtp: {
        host: '127.0.0.1',
        port: smtp.port,
        secure: false,
        requireTls: false,
        username: undefined,
        password: undefined,
        from: 'ioc@tayninh.gov.vn',
      },
      alertById: (id) => alertQueries.get(id),
      pollMs: 3_600_000,
    });
    await moved.runOnce();
    const second = await waitFor(
      () =>
        smtp.mails.find(
          (m) => m.to.includes('binh.tt@tayninh.gov.vn') && m.text.includes(`Alert id: ${alert.id}`),
        ),
      'the second step',
    );
    expect(second.user).toBe('ioc-channel');

    // The delivery log, filtered by the alert, shows both steps sent, recipients masked.
    await section(admin, 'log');
    await admin.fill('#notif-log-alert', String(alert.id));
    await admin.click('.notif-filter button[type=submit]');
    await admin.waitForFunction(
      (id) =>
        (globalThis as any).document.querySelectorAll('#notif-log tbody tr').length === 2 &&
        (globalThis as any).document.querySelector('#notif-log tbody')?.textContent.includes(`#${id}`),
      alert.id,
    );
    const log = (await admin.textContent('#notif-log tbody')) ?? '';
    expect(log).toContain('an***@tayninh.gov.vn');
    expect(log).toContain('bi***@tayninh.gov.vn');
    expect(log).toContain('leo thang');
    expect(log).not.toContain('an.nv@');
    expect(await violations(admin)).toEqual([]);
  });

  it('reads in English after the language switch', async () => {
    await section(admin, 'channels');
    await admin.click('#lang');
    await admin.waitForFunction(
      () =>
        (globalThis as any).document.querySelector('.notif-tabs a[aria-current="page"]')?.textContent ===
        'Channels',
    );
    await admin.waitForSelector('#notif-channels form.admin-form');
    expect(await admin.textContent('#notif-channels table')).toContain('SMTP password');
    expect(await violations(admin)).toEqual([]);
    await admin.click('#lang');
  });

  it('shows an operator no way in, and the API refuses them the settings', async () => {
    const page = await loggedIn('operator', '/#admin/notifications');
    await page.waitForSelector('#app > main:not([hidden])');
    expect(await page.isHidden('#admin-open')).toBe(true);
    expect(await page.isHidden('#admin')).toBe(true);
    await page.context().close();
    const operator = await app.login('operator', testAdminPassword);
    const post = await app.request('POST', '/api/v1/notifications/channels', operator, {
      name: 'Email',
      type: 'email',
      settings: {},
    });
    expect(post.status).toBe(403);
    for (const path of ['channels', 'contacts', 'schedules', 'policies'])
      expect((await app.request('GET', `/api/v1/notifications/${path}`, operator)).status, path).toBe(403);
  });

  it('never shows the channel password: not in an API answer, the page or a log line', async () => {
    const headers = await app.login();
    const answers = await Promise.all(
      ['channels', 'contacts', 'schedules', 'policies', 'deliveries'].map((path) =>
        app.request('GET', `/api/v1/notifications/${path}`, headers),
      ),
    );
    const channel = answers[0]!.body.items.find((c: { name: string }) => c.name === 'Email trực ban');
    expect(channel.secrets).toEqual({ password: '[set]' });
    for (const answer of answers) expect(JSON.stringify(answer.body)).not.toContain(smtpPassword);
    await section(admin, 'channels');
    await admin.getByRole('button', { name: 'Sửa: Email trực ban' }).click();
    await admin.waitForSelector('form[aria-label="Sửa kênh gửi"]');
    expect(await admin.inputValue('form[aria-label="Sửa kênh gửi"] input[type=password]')).toBe('');
    expect(await admin.content()).not.toContain(smtpPassword);
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(smtpPassword);
  });
});
