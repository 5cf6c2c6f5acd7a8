// One alert in full, opened from the list or by the link /#alert=<id>: what to do (the rule's
// instructions), who has it, notes, its timeline, and what stands around it (devices on the same
// pole, the nearest cameras). Operators act here: take it, note, acknowledge, resolve.
import { onAlert } from './alerts.js';
import { api } from './api.js';
import { attempt, say } from './feedback.js';
import { escapeHtml } from './html.js';
import { formatDateTime, formatNumber, t } from './i18n.js';
import { kindSign, severitySign } from './icons.js';
import { $, canOperate, state } from './state.js';

const pick = (texts) => (texts ? (texts[state.lang] ?? texts.vi) : '');

function deviceLine(d) {
  const status = d.online === false ? t('offline') : d.online ? t('onlineOne') : '';
  const distance = d.distanceM === undefined ? '' : ` · ${formatNumber(d.distanceM, 0)} m`;
  return `<li>${kindSign(d.kind, { labelled: true })} ${escapeHtml(d.name)}${distance}${status ? ` · ${status}` : ''}</li>`;
}

export async function openAlert(id) {
  const view = $('alert-detail');
  const [alert, timeline, context] = await Promise.all([
    api('GET', `/api/v1/alerts/${id}`),
    api('GET', `/api/v1/alerts/${id}/timeline`),
    api('GET', `/api/v1/alerts/${id}/context`).catch(() => null),
  ]).catch((error) => {
    say(t('alertUnavailable'), 'error');
    throw error;
  });
  if (!alert) return;
  state.alertDetail = alert.id;
  const actions = canOperate()
    ? `<div class="actions">
        <button type="button" id="detail-assign">${t('assignMe')}</button>
        ${alert.state === 'open' ? `<button type="button" id="detail-ack">${t('acknowledge')}</button>` : ''}
        ${alert.state !== 'resolved' ? `<button type="button" id="detail-resolve">${t('resolve')}</button>` : ''}
      </div>
      <form id="detail-note-form"><label for="detail-note">${t('addNote')}</label>
        <textarea id="detail-note" rows="2" maxlength="2000" required></textarea>
        <button type="submit">${t('saveNote')}</button></form>`
    : '';
  view.innerHTML = `<button type="button" id="detail-close" class="close">${t('close')}</button>
    <h2 id="alert-detail-title" class="${alert.severity}">${severitySign(alert.severity)} ${t(alert.severity)}: ${escapeHtml(pick(alert.message))}</h2>
    <p class="meta">${t(alert.state)} · ${t('openedAt')} ${formatDateTime(alert.openedAt)} · ${t('assignee')}: <b id="detail-assignee">${escapeHtml(alert.assignee ?? t('nobody'))}</b></p>
    ${alert.instructions ? `<section class="instructions" aria-label="${t('instructions')}"><h3>${t('instructions')}</h3><p id="detail-instructions">${escapeHtml(pick(alert.instructions))}</p></section>` : ''}
    ${actions}
    <h3>${t('timeline')}</h3><ol id="detail-timeline">${timeline.items
      .map(
        (e) =>
          `<li><time>${formatDateTime(e.at)}</time> ${escapeHtml(pick(e.text))}${e.note ? `: <q>${escapeHtml(e.note)}</q>` : ''}</li>`,
      )
      .join('')}</ol>
    ${
      context
        ? `<h3>${t('samePole')}</h3><ul id="detail-pole">${context.pole.devices.map(deviceLine).join('') || `<li>${t('none')}</li>`}</ul>
           <h3>${t('nearestCameras')}</h3><ul id="detail-cameras">${context.cameras.map(deviceLine).join('') || `<li>${t('none')}</li>`}</ul>`
        : ''
    }`;
  view.hidden = false;
  $('detail-close').onclick = closeAlert;
  $('detail-close').focus();
  if (!canOperate()) return;
  const act = (label, path, body) =>
    attempt(async () => {
      const updated = await api('POST', path, body);
      onAlert({ alert: updated.alert ?? updated });
      say(label);
      await openAlert(alert.id);
    });
  $('detail-assign').onclick = () => act(t('assignedToYou'), `/api/v1/alerts/${alert.id}/assign`, {});
  if ($('detail-ack'))
    $('detail-ack').onclick = () => act(t('acknowledged'), `/api/v1/alerts/${alert.id}/ack`, {});
  if ($('detail-resolve'))
    $('detail-resolve').onclick = () => act(t('resolved'), `/api/v1/alerts/${alert.id}/resolve`, {});
  $('detail-note-form').onsubmit = (event) => {
    event.preventDefault();
    void act(t('noteSaved'), `/api/v1/alerts/${alert.id}/notes`, { text: $('detail-note').value });
  };
}

export function closeAlert() {
  $('alert-detail').hidden = true;
  state.alertDetail = null;
  if (location.hash.startsWith('#alert='))
    history.replaceState(null, '', location.pathname + location.search);
}

/** `/#alert=<id>` opens that alert: links in notifications, messages and the list lead here. */
export function followLink() {
  const match = /^#alert=(\d+)$/.exec(location.hash);
  if (match) void openAlert(Number(match[1])).catch(() => {});
}
