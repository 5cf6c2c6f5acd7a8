// The integrations page: API keys for the province's systems (scope, last use, revoke; a new key shown
// once), alert webhooks (create, delete, delivery log), device provisioning keys (claims, revoke; the
// secret shown once) and backups (the last good one, back up now, download). Each form is drawn from
// the API's own request schema. Notification channels have their own page (#admin/notifications).
import { api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { addStrings, formatDateTime, formatNumber, t } from '../i18n.js';
import { state } from '../state.js';
import { createForm } from './form.js';
import { strings } from './integrations.strings.js';
import { bodySchema } from './schemas.js';
import { downloadWithToken } from './systemFiles.js';
import { formatBytes } from './systemFormat.js';
import { actionButton, createTable } from './table.js';
import { areaScopeWidget, loadAreas, scopeText } from './usersScope.js';

addStrings(strings);

const backupPollMs = 2_000;
let backupTimer;

const el = (tag, text, className) => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
};
const shown = () => /^#admin\/integrations(\/|$)/.test(location.hash);
const when = (iso) => (iso ? formatDateTime(iso) : t('intNever'));

/** A secret the API shows once: the text, a copy button, focus on it so a screen reader reads it. */
function showOnce(box, intro, secret) {
  const code = el('code', secret, 'secret-once');
  code.tabIndex = -1;
  const copy = actionButton('intCopy', async () => {
    await navigator.clipboard?.writeText(secret).catch(() => {});
    say(t('intCopied'));
  });
  box.replaceChildren(el('p', `${intro}. ${t('intOnce')}`), code, copy);
  box.hidden = false;
  code.focus();
}

function onceBox() {
  const box = el('div', undefined, 'once-box');
  box.setAttribute('role', 'status');
  box.hidden = true;
  return box;
}

function rowActions(...buttons) {
  const cell = el('div', undefined, 'row-actions');
  cell.append(...buttons);
  return cell;
}

/** A select of the areas, written as the area id the API takes. */
function areaSelectWidget(areas) {
  return ({ id, label, value }) => {
    const wrap = el('div', undefined, 'field');
    const l = el('label', label);
    l.htmlFor = id;
    const select = el('select');
    select.id = id;
    for (const area of areas) {
      const option = el('option', area.name?.[state.lang] ?? area.id);
      option.value = area.id;
      select.append(option);
    }
    if (value) select.value = value;
    wrap.append(l, select);
    return { element: wrap, read: () => select.value || undefined };
  };
}

/** A time in the city's clock, sent as ISO with +07:00. */
function cityTimeWidget({ id, label, value }) {
  const wrap = el('div', undefined, 'field');
  const l = el('label', label);
  l.htmlFor = id;
  const input = el('input');
  input.type = 'datetime-local';
  input.id = id;
  input.required = true;
  if (value) input.value = value.slice(0, 16);
  wrap.append(l, input);
  return { element: wrap, read: () => (input.value ? `${input.value}:00+07:00` : undefined) };
}

async function feedKeys(areas) {
  const section = el('section', undefined, 'admin-section');
  section.id = 'feed-keys';
  const once = onceBox();
  const list = el('div');
  const schema = await bodySchema('post', '/api/v1/feeds/keys');
  async function redraw() {
    const { items } = await api('GET', '/api/v1/feeds/keys');
    list.replaceChildren(
      createTable({
        caption: 'intKeysCaption',
        columns: [
          { text: 'intKeyName', value: (k) => k.name },
          { text: 'intKeyPrefix', value: (k) => el('code', k.prefix) },
          { text: 'intKeyScope', value: (k) => scopeText(k.scope, areas) },
          { text: 'intKeyCreated', value: (k) => `${k.createdBy}, ${formatDateTime(k.createdAt)}` },
          { text: 'intKeyLastUse', value: (k) => when(k.lastUsedAt) },
          {
            text: 'intKeyState',
            value: (k) =>
              k.revokedAt
                ? t('intKeyRevokedAt')
                    .replace('{time}', formatDateTime(k.revokedAt))
                    .replace('{by}', k.revokedBy ?? '')
                : t('intKeyActive'),
          },
          {
            text: 'intColActions',
            value: (k) =>
              k.revokedAt
                ? ''
                : rowActions(
                    actionButton(
                      'intRevoke',
                      () =>
                        attempt(async () => {
                          if (!confirm(t('intKeyRevokeConfirm').replace('{name}', k.name))) return;
                          await api('DELETE', `/api/v1/feeds/keys/${k.id}`);
                          say(t('intRevoked'));
                          await redraw();
                        }),
                      { danger: true, label: t('intKeyRevokeLabel').replace('{name}', k.name) },
                    ),
                  ),
          },
        ],
        rows: items,
      }),
    );
  }
  const form = createForm({
    schema,
    fields: ['name', 'scope'],
    labels: { name: 'intKeyName', scope: 'intKeyScope' },
    widgets: { scope: areaScopeWidget(areas) },
    submitText: 'intKeyCreate',
    async onSubmit(body) {
      const created = await api('POST', '/api/v1/feeds/keys', body);
      showOnce(once, t('intKeyNew').replace('{name}', created.name), created.key);
      form.element.reset();
      await redraw();
    },
  });
  await redraw();
  section.append(el('h3', t('intKeysTitle')), once, list, form.element);
  return section;
}

async function webhooks() {
  const section = el('section', undefined, 'admin-section');
  section.id = 'webhooks';
  const list = el('div');
  const log = el('div');
  log.setAttribute('aria-live', 'polite');
  const schema = await bodySchema('post', '/api/v1/webhooks');
  const severityKeys = { critical: 'critical', warning: 'warning', info: 'info' }; // the console's own words
  async function showDeliveries(hook) {
    const { items } = await api('GET', `/api/v1/webhooks/${hook.id}/deliveries`);
    const table = createTable({
      caption: 'intDeliveriesCaption',
      columns: [
        { text: 'intDelAt', value: (d) => formatDateTime(d.createdAt) },
        { text: 'intDelAlert', value: (d) => `#${d.alertId}` },
        { text: 'intDelAction', value: (d) => d.action },
        { text: 'intDelState', value: (d) => d.state },
        { text: 'intDelAttempts', value: (d) => formatNumber(d.attempts, 0) },
        { text: 'intDelLast', value: (d) => [d.lastStatus, d.lastError].filter((v) => v !== null).join(' ') },
        { text: 'intDelDelivered', value: (d) => (d.deliveredAt ? formatDateTime(d.deliveredAt) : '') },
      ],
      rows: items,
    });
    table.caption.textContent = t('intDeliveriesCaption').replace('{name}', hook.name);
    log.replaceChildren(table);
  }
  async function redraw() {
    const { items } = await api('GET', '/api/v1/webhooks');
    list.replaceChildren(
      createTable({
        caption: 'intHooksCaption',
        columns: [
          { text: 'intHookName', value: (w) => w.name },
          { text: 'intHookUrl', value: (w) => w.url },
          {
            text: 'intHookSeverities',
            value: (w) => w.severities.map((s) => t(severityKeys[s] ?? s)).join(', '),
          },
          { text: 'intHookKinds', value: (w) => (w.kinds ? w.kinds.join(', ') : t('intAll')) },
          { text: 'intHookEnabled', value: (w) => t(w.enabled ? 'intYes' : 'intNo') },
          {
            text: 'intColActions',
            value: (w) =>
              rowActions(
                actionButton('intHookDeliveries', () => attempt(() => showDeliveries(w)), {
                  label: t('intHookDeliveriesLabel').replace('{name}', w.name),
                }),
                actionButton(
                  'intDelete',
                  () =>
                    attempt(async () => {
                      if (!confirm(t('intHookDeleteConfirm').replace('{name}', w.name))) return;
                      await api('DELETE', `/api/v1/webhooks/${w.id}`);
                      say(t('intDeleted'));
                      log.replaceChildren();
                      await redraw();
                    }),
                  { danger: true, label: t('intHookDeleteLabel').replace('{name}', w.name) },
                ),
              ),
          },
        ],
        rows: items,
      }),
    );
  }
  const form = createForm({
    schema,
    labels: {
      name: 'intHookName',
      url: 'intHookUrl',
      secret: 'intHookSecret',
      severities: 'intHookSeverities',
      kinds: 'intHookKinds',
      enabled: 'intHookEnabled',
    },
    options: { severities: severityKeys },
    submitText: 'intHookCreate',
    async onSubmit(body) {
      const created = await api('POST', '/api/v1/webhooks', body);
      say(t('intHookCreated').replace('{name}', created.name));
      form.element.reset();
      await redraw();
    },
  });
  await redraw();
  section.append(el('h3', t('intHooksTitle')), list, log, form.element);
  return section;
}

async function provisioningKeys(areas) {
  const section = el('section', undefined, 'admin-section');
  section.id = 'provisioning-keys';
  const once = onceBox();
  const list = el('div');
  const claims = el('div');
  claims.setAttribute('aria-live', 'polite');
  const schema = await bodySchema('post', '/api/v1/provisioning/keys');
  const areaName = (id) => {
    const area = areas.find((a) => a.id === id);
    return area ? (area.name?.[state.lang] ?? id) : id;
  };
  async function showClaims(key) {
    const { items } = await api('GET', `/api/v1/provisioning/keys/${key.id}/claims`);
    const table = createTable({
      caption: 'intProvClaimsCaption',
      columns: [
        { text: 'intClaimDevice', value: (c) => c.deviceId },
        { text: 'intClaimAt', value: (c) => formatDateTime(c.claimedAt) },
        { text: 'intClaimIp', value: (c) => c.ip },
      ],
      rows: items,
    });
    table.caption.textContent = t('intProvClaimsCaption').replace('{name}', key.name);
    claims.replaceChildren(table);
  }
  async function redraw() {
    const { items } = await api('GET', '/api/v1/provisioning/keys');
    list.replaceChildren(
      createTable({
        caption: 'intProvCaption',
        columns: [
          { text: 'intProvName', value: (k) => k.name },
          { text: 'intProvKey', value: (k) => el('code', k.key) },
          { text: 'intProvCity', value: (k) => [areaName(k.city), k.unit].filter(Boolean).join(' — ') },
          { text: 'intProvKinds', value: (k) => (k.kinds ? k.kinds.join(', ') : t('intAll')) },
          { text: 'intProvExpires', value: (k) => formatDateTime(k.expiresAt) },
          {
            text: 'intProvClaims',
            value: (k) => `${formatNumber(k.claims, 0)} / ${formatNumber(k.maxClaims, 0)}`,
          },
          {
            text: 'intProvState',
            value: (k) =>
              k.revokedAt
                ? t('intKeyRevokedAt')
                    .replace('{time}', formatDateTime(k.revokedAt))
                    .replace('{by}', k.revokedBy ?? '')
                : new Date(k.expiresAt) < new Date()
                  ? t('intProvExpired')
                  : t('intKeyActive'),
          },
          {
            text: 'intColActions',
            value: (k) =>
              rowActions(
                actionButton('intProvClaimsList', () => attempt(() => showClaims(k)), {
                  label: t('intProvClaimsLabel').replace('{name}', k.name),
                }),
                ...(k.revokedAt
                  ? []
                  : [
                      actionButton(
                        'intRevoke',
                        () =>
                          attempt(async () => {
                            if (!confirm(t('intProvRevokeConfirm').replace('{name}', k.name))) return;
                            await api('DELETE', `/api/v1/provisioning/keys/${k.id}`);
                            say(t('intRevoked'));
                            await redraw();
                          }),
                        { danger: true, label: t('intProvRevokeLabel').replace('{name}', k.name) },
                      ),
                    ]),
              ),
          },
        ],
        rows: items,
      }),
    );
  }
  const form = createForm({
    schema,
    fields: ['name', 'city', 'unit', 'kinds', 'expiresAt', 'maxClaims'],
    labels: {
      name: 'intProvName',
      city: 'intProvCity',
      unit: 'intProvUnit',
      kinds: 'intProvKinds',
      expiresAt: 'intProvExpires',
      maxClaims: 'intProvMaxClaims',
    },
    widgets: { city: areaSelectWidget(areas), expiresAt: cityTimeWidget },
    submitText: 'intProvCreate',
    async onSubmit(body) {
      const created = await api('POST', '/api/v1/provisioning/keys', body);
      showOnce(
        once,
        t('intProvNew').replace('{name}', created.name).replace('{key}', created.key),
        created.secret,
      );
      form.element.reset();
      await redraw();
    },
  });
  await redraw();
  section.append(
    el('h3', t('intProvTitle')),
    el('p', t('intProvIntro'), 'admin-intro'),
    once,
    list,
    claims,
    form.element,
  );
  return section;
}

async function backups() {
  const section = el('section', undefined, 'admin-section');
  section.id = 'backups';
  const status = el('p', undefined, 'backup-status');
  status.setAttribute('role', 'status');
  const list = el('div');
  const now = actionButton('intBackupNow', () =>
    attempt(async () => {
      await api('POST', '/api/v1/backups');
      say(t('intBackupStarted'));
      await redraw();
    }),
  );
  async function redraw() {
    clearTimeout(backupTimer);
    const data = await api('GET', '/api/v1/backups');
    const lastGood = data.items[0];
    const lines = [
      lastGood
        ? t('intBackupLastGood').replace('{time}', formatDateTime(lastGood.at))
        : t('intBackupNoneGood'),
    ];
    if (data.running)
      lines.push(t('intBackupRunning').replace('{time}', formatDateTime(data.running.startedAt)));
    else if (data.last?.ok === false)
      lines.push(
        t('intBackupFailed')
          .replace('{time}', formatDateTime(data.last.startedAt))
          .replace('{error}', data.last.error ?? ''),
      );
    status.textContent = lines.join(' ');
    section.dataset.running = data.running ? 'true' : 'false';
    now.hidden = Boolean(data.running);
    list.replaceChildren(
      createTable({
        caption: 'intBackupsCaption',
        columns: [
          { text: 'intBackupName', value: (b) => b.name },
          { text: 'intBackupAt', value: (b) => formatDateTime(b.at) },
          { text: 'intBackupSize', value: (b) => formatBytes(b.bytes), numeric: true },
          {
            text: 'intColActions',
            value: (b) =>
              actionButton(
                'intBackupDownload',
                () =>
                  attempt(() => downloadWithToken(`/api/v1/backups/${encodeURIComponent(b.name)}`, b.name)),
                { label: t('intBackupDownloadLabel').replace('{name}', b.name) },
              ),
          },
        ],
        rows: data.items,
      }),
    );
    // Followed while it runs and the page is shown, so the new file appears without a reload.
    if (data.running)
      backupTimer = setTimeout(() => {
        if (shown() && section.isConnected) void attempt(redraw);
      }, backupPollMs);
  }
  await redraw();
  section.append(
    el('h3', t('intBackupsTitle')),
    el('p', t('intBackupsIntro'), 'admin-intro'),
    status,
    now,
    list,
  );
  return section;
}

export async function render(container) {
  clearTimeout(backupTimer);
  const areas = await loadAreas();
  const intro = el('p', undefined, 'admin-intro');
  const link = el('a', t('adminNotifications'));
  link.href = '#admin/notifications';
  intro.append(`${t('intIntro')} `, link, '.');
  const sections = await Promise.all([feedKeys(areas), webhooks(), provisioningKeys(areas), backups()]);
  container.replaceChildren(el('h2', t('intTitle')), intro, ...sections);
}
