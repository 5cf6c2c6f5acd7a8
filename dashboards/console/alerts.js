// The alert list and the counts in the header; an alert's change recolours its device's marker and
// brings the alarm (sound, tab, notification) in line. A critical alert shows what to do beside it.
import { updateAlarm } from './alarm.js';
import { api } from './api.js';
import { attempt, say } from './feedback.js';
import { escapeHtml } from './html.js';
import { formatDateTime, t } from './i18n.js';
import { kindSign, severitySign } from './icons.js';
import { upsertMarker } from './map.js';
import { openPanel } from './panel.js';
import { $, canOperate, severityRank, state } from './state.js';

const instructions = new Map();
const selected = new Set();

export function renderCounts() {
  let online = 0;
  for (const d of state.devices.values()) if (d.online) online++;
  $('count-online').textContent = online;
  $('count-devices').textContent = state.devices.size;
  const counts = { critical: 0, warning: 0, info: 0 };
  for (const a of state.alerts.values()) if (a.state !== 'resolved') counts[a.severity]++;
  for (const s of Object.keys(counts)) $(`count-${s}`).textContent = counts[s];
}

/** A critical alert's instructions, fetched once: the live wire carries the alert, not its rule. */
function loadInstructions(alert) {
  if (alert.severity !== 'critical' || instructions.has(alert.id) || !alert.ruleId) return;
  instructions.set(alert.id, null);
  api('GET', `/api/v1/alerts/${alert.id}`)
    .then((full) => {
      instructions.set(alert.id, full?.instructions ?? null);
      if (full?.instructions) renderAlerts();
    })
    .catch(() => instructions.delete(alert.id));
}

export function renderAlerts() {
  const list = $('alerts');
  list.replaceChildren();
  const active = [...state.alerts.values()]
    .filter((a) => a.state !== 'resolved')
    .sort(
      (a, b) => severityRank[a.severity] - severityRank[b.severity] || b.openedAt.localeCompare(a.openedAt),
    );
  for (const id of selected) if (!active.some((a) => a.id === id && a.state === 'open')) selected.delete(id);
  if (active.length === 0) {
    const empty = document.createElement('li');
    empty.textContent = t('noAlerts');
    list.append(empty);
  }
  for (const alert of active) {
    loadInstructions(alert);
    const li = document.createElement('li');
    li.className = alert.severity;
    li.dataset.alertId = alert.id;
    li.dataset.state = alert.state;
    const text = document.createElement('div');
    const device = state.devices.get(alert.deviceId);
    // The severity's word is in the line below; the kind's sign carries its name for screen readers.
    text.innerHTML = `${severitySign(alert.severity)} ${kindSign(device?.kind, { labelled: true })} ${escapeHtml(state.lang === 'vi' ? alert.message.vi : alert.message.en)}`;
    const meta = document.createElement('div');
    meta.className = 'meta';
    meta.textContent = `${t(alert.severity)} · ${t(alert.state)} · ${formatDateTime(alert.openedAt)}${alert.count > 1 ? ` · ×${alert.count}` : ''}${alert.assignee ? ` · ${t('assignee')}: ${alert.assignee}` : ''}`;
    li.append(text, meta);
    const todo = instructions.get(alert.id);
    if (todo) {
      const p = document.createElement('p');
      p.className = 'instructions';
      p.textContent = `${t('instructions')}: ${todo[state.lang] ?? todo.vi}`;
      li.append(p);
    }
    const link = document.createElement('a');
    link.href = `#alert=${alert.id}`;
    link.className = 'alert-link';
    link.textContent = t('details');
    li.append(link);
    if (canOperate()) {
      if (alert.state === 'open') {
        const label = document.createElement('label');
        label.className = 'select';
        const box = document.createElement('input');
        box.type = 'checkbox';
        box.checked = selected.has(alert.id);
        box.addEventListener('change', () => {
          if (box.checked) selected.add(alert.id);
          else selected.delete(alert.id);
          renderBulk();
        });
        label.append(box, ` ${t('select')}`);
        li.append(label, actionButton(alert, 'ack', t('acknowledge')));
      }
      li.append(actionButton(alert, 'resolve', t('resolve')));
    }
    li.addEventListener(
      'click',
      (e) => !['BUTTON', 'A', 'INPUT', 'LABEL'].includes(e.target.tagName) && openPanel(alert.deviceId),
    );
    list.append(li);
  }
  renderBulk();
  renderCounts();
  updateAlarm();
}

function renderBulk() {
  const button = $('bulk-ack');
  button.hidden = !canOperate() || selected.size === 0;
  button.textContent = `${t('acknowledgeSelected')} (${selected.size})`;
}

function actionButton(alert, action, label) {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = `alert-${action}`;
  button.textContent = label;
  button.addEventListener('click', () =>
    attempt(async () => {
      const note = window.prompt(t('notePrompt')) ?? undefined;
      const updated = await api('POST', `/api/v1/alerts/${alert.id}/${action}`, note ? { note } : {});
      onAlert({ alert: updated });
    }),
  );
  return button;
}

export function setUpBulk() {
  $('bulk-ack').addEventListener('click', () =>
    attempt(async () => {
      const result = await api('POST', '/api/v1/alerts/acknowledge', { ids: [...selected] });
      selected.clear();
      say(`${t('acknowledged')}: ${result.acknowledged.length}`);
      renderAlerts();
    }),
  );
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
