// The alert list and the counts in the header; an alert's change recolours its device's marker.
import { api } from './api.js';
import { locale, t } from './i18n.js';
import { upsertMarker } from './map.js';
import { openPanel } from './panel.js';
import { $, canOperate, severityRank, state } from './state.js';

export function renderCounts() {
  let online = 0;
  for (const d of state.devices.values()) if (d.online) online++;
  $('count-online').textContent = online;
  $('count-devices').textContent = state.devices.size;
  const counts = { critical: 0, warning: 0, info: 0 };
  for (const a of state.alerts.values()) if (a.state !== 'resolved') counts[a.severity]++;
  for (const s of Object.keys(counts)) $(`count-${s}`).textContent = counts[s];
}

export function renderAlerts() {
  const list = $('alerts');
  list.replaceChildren();
  const active = [...state.alerts.values()]
    .filter((a) => a.state !== 'resolved')
    .sort(
      (a, b) => severityRank[a.severity] - severityRank[b.severity] || b.openedAt.localeCompare(a.openedAt),
    );
  if (active.length === 0) {
    const empty = document.createElement('li');
    empty.textContent = t('noAlerts');
    list.append(empty);
  }
  for (const alert of active) {
    const li = document.createElement('li');
    li.className = alert.severity;
    li.dataset.alertId = alert.id;
    li.dataset.state = alert.state;
    const text = document.createElement('div');
    text.textContent = state.lang === 'vi' ? alert.message.vi : alert.message.en;
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = `${t(alert.severity)} · ${t(alert.state)} · ${new Date(alert.openedAt).toLocaleString(locale(), { timeZone: 'Asia/Ho_Chi_Minh' })}${alert.count > 1 ? ` · ×${alert.count}` : ''}`;
    li.append(text, meta);
    if (canOperate()) {
      if (alert.state === 'open') li.append(actionButton(alert, 'ack', t('acknowledge')));
      li.append(actionButton(alert, 'resolve', t('resolve')));
    }
    li.addEventListener('click', (e) => e.target.tagName !== 'BUTTON' && openPanel(alert.deviceId));
    list.append(li);
  }
  renderCounts();
}

function actionButton(alert, action, label) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `alert-${action}`;
  button.textContent = label;
  button.addEventListener('click', async () => {
    const note = window.prompt(t('notePrompt')) ?? undefined;
    const updated = await api('POST', `/api/v1/alerts/${alert.id}/${action}`, note ? { note } : {});
    onAlert({ alert: updated });
  });
  return button;
}

export function onAlert({ alert }) {
  state.alerts.set(alert.id, alert);
  const device = state.devices.get(alert.deviceId);
  if (device) {
    const severities = [...state.alerts.values()]
      .filter((a) => a.deviceId === device.id && a.state !== 'resolved')
      .map((a) => a.severity);
    device.alert = severities.sort((a, b) => severityRank[a] - severityRank[b])[0] ?? null;
    upsertMarker(device);
  }
  renderAlerts();
}
