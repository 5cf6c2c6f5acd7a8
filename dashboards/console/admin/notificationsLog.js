// The delivery log: every message with its channel, masked recipient, status, attempts and last error,
// newest first, filtered by alert and status, paged by the id of the last row (the API's `before`).
import { api } from '../api.js';
import { attempt } from '../feedback.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { createPager, createTable } from './table.js';

const pageSize = 50;
export const statuses = ['pending', 'held', 'sending', 'retrying', 'sent', 'failed', 'skipped', 'cancelled'];

export async function renderLog(section, filter = { alertId: '', status: '' }, cursors = [undefined]) {
  const page = cursors.length;
  const query = new URLSearchParams({ limit: String(pageSize) });
  if (filter.alertId) query.set('alertId', filter.alertId);
  if (filter.status) query.set('status', filter.status);
  if (cursors.at(-1)) query.set('before', String(cursors.at(-1)));
  const answer = await attempt(() => api('GET', `/api/v1/notifications/deliveries?${query}`));
  const items = answer?.items ?? [];

  const form = document.createElement('form');
  form.className = 'notif-filter';
  form.setAttribute('aria-label', t('notifFilter'));
  const alert = document.createElement('input');
  alert.type = 'number';
  alert.min = '1';
  alert.id = 'notif-log-alert';
  alert.value = filter.alertId;
  const alertLabel = document.createElement('label');
  alertLabel.htmlFor = alert.id;
  alertLabel.textContent = t('notifAlertId');
  const status = document.createElement('select');
  status.id = 'notif-log-status';
  for (const value of ['', ...statuses]) {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = value ? t(`notifStatus_${value}`) : t('notifAnyStatus');
    status.append(o);
  }
  status.value = filter.status;
  const statusLabel = document.createElement('label');
  statusLabel.htmlFor = status.id;
  statusLabel.textContent = t('notifStatus');
  const apply = document.createElement('button');
  apply.type = 'submit';
  apply.textContent = t('notifApplyFilter');
  form.append(alertLabel, alert, statusLabel, status, apply);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void renderLog(section, { alertId: alert.value, status: status.value });
  });

  const table = createTable({
    caption: 'notifLog',
    columns: [
      { text: 'notifTime', value: (d) => formatDateTime(d.createdAt) },
      { text: 'notifAlertId', value: (d) => (d.alertId === null ? t('notifTestMessage') : `#${d.alertId}`) },
      { text: 'notifEvent', value: (d) => t(`notifEvent_${d.event}`) },
      { text: 'notifType', value: (d) => d.channelType },
      { text: 'notifRecipient', value: (d) => d.recipient },
      { text: 'notifStatus', value: (d) => t(`notifStatus_${d.status}`) },
      { text: 'notifAttempts', value: (d) => formatNumber(d.attempts, 0) },
      { text: 'notifLastError', value: (d) => d.lastError ?? '—' },
      { text: 'notifSentAt', value: (d) => (d.sentAt ? formatDateTime(d.sentAt) : '—') },
    ],
    rows: items,
  });
  const pager = createPager({
    page,
    hasMore: items.length === pageSize,
    onPage: (to) =>
      void renderLog(section, filter, to > page ? [...cursors, items.at(-1).id] : cursors.slice(0, to)),
  });
  section.replaceChildren(form, table, pager);
}
