// The installer / vendor page, "My devices": for an account that reaches only its own devices (by
// profile or by id), their status, last seen and latest message, and the messages the IOC refused
// from them with the reason and what to do. It takes the place of the operators' map for this role.
// The API refuses such an account everything else, the live stream included, so the page polls.
import { api } from '../api.js';
import { escapeHtml } from '../html.js';
import { addStrings, applyTexts, errorText, formatDateTime, formatNumber, t } from '../i18n.js';
import { logout } from '../session.js';
import { state } from '../state.js';
import { strings } from './installer.strings.js';

addStrings(strings);

const refreshMs = 15_000;
/** Devices whose latest message is fetched each round: one request each, so a large fleet is capped. */
const payloadsShown = 50;
const refusalsShown = 50;

let root = null;
/** The last answers, redrawn as they are when the language changes. */
let seen = null;
let failure = null;

const statusOf = (device) =>
  device.online === true ? 'online' : device.online === false ? 'offline' : 'unknown';
const statusText = { online: 'installerOnline', offline: 'installerOffline', unknown: 'installerUnknown' };
// A sign beside the word, so colour is never the only signal.
const statusSign = { online: '●', offline: '○', unknown: '?' };

function payloadText(message) {
  if (!message) return `<span class="installer-muted">${escapeHtml(t('installerNoPayload'))}</span>`;
  const values = Object.entries(message.metrics)
    .map(([metric, value]) => `${escapeHtml(metric)} = ${escapeHtml(formatNumber(value, 3))}`)
    .join(' · ');
  return `<time datetime="${escapeHtml(message.ts)}">${escapeHtml(formatDateTime(message.ts))}</time><br><code>${values}</code>`;
}

function devicesTable(devices, messages, profiles) {
  if (devices.length === 0) return `<p>${escapeHtml(t('installerNoDevices'))}</p>`;
  const rows = devices.map((d) => {
    const status = statusOf(d);
    const lastSeen = d.lastSeen
      ? `<time datetime="${escapeHtml(d.lastSeen)}">${escapeHtml(formatDateTime(d.lastSeen))}</time>`
      : escapeHtml(t('installerNever'));
    const payload = messages.has(d.id) ? payloadText(messages.get(d.id)) : '';
    return `<tr data-device="${escapeHtml(d.id)}">
      <th scope="row">${escapeHtml(d.name)}<br><code>${escapeHtml(d.id)}</code></th>
      <td>${escapeHtml(profiles.get(d.kind)?.[state.lang] ?? d.kind)}</td>
      <td class="installer-${status}"><span aria-hidden="true">${statusSign[status]}</span> ${escapeHtml(t(statusText[status]))}</td>
      <td>${lastSeen}</td>
      <td>${payload}</td>
    </tr>`;
  });
  const more =
    devices.length > payloadsShown
      ? `<p class="installer-muted">${escapeHtml(t('installerMoreDevices'))}</p>`
      : '';
  return `<table class="installer-table">
    <thead><tr>
      <th scope="col">${escapeHtml(t('installerDevice'))}</th>
      <th scope="col">${escapeHtml(t('installerProfile'))}</th>
      <th scope="col">${escapeHtml(t('installerStatus'))}</th>
      <th scope="col">${escapeHtml(t('installerLastSeen'))}</th>
      <th scope="col">${escapeHtml(t('installerLastPayload'))}</th>
    </tr></thead>
    <tbody>${rows.join('')}</tbody>
  </table>${more}`;
}

function refusalsTable(refusals) {
  if (refusals.length === 0) return `<p>${escapeHtml(t('installerNoRefusals'))}</p>`;
  const rows = refusals.map((r) => {
    const title = strings[state.lang][`installerReason_${r.reason}`] ?? r.reason;
    const advice = r.description ? r.description[state.lang] : r.message;
    const ours = r.fault === 'ioc' ? `<strong>${escapeHtml(t('installerFaultIoc'))}.</strong> ` : '';
    const payload =
      r.payload === null ? '' : `<code class="installer-payload">${escapeHtml(r.payload)}</code>`;
    return `<tr data-refusal="${escapeHtml(r.id)}">
      <td><time datetime="${escapeHtml(r.receivedAt)}">${escapeHtml(formatDateTime(r.receivedAt))}</time></td>
      <td><code>${escapeHtml(r.deviceId ?? '')}</code></td>
      <td class="installer-reason">${escapeHtml(title)}<br><code>${escapeHtml(r.reason)}</code></td>
      <td>${ours}${escapeHtml(advice)}</td>
      <td>${payload}</td>
    </tr>`;
  });
  return `<table class="installer-table">
    <thead><tr>
      <th scope="col">${escapeHtml(t('installerTime'))}</th>
      <th scope="col">${escapeHtml(t('installerDevice'))}</th>
      <th scope="col">${escapeHtml(t('installerReason'))}</th>
      <th scope="col">${escapeHtml(t('installerWhatToDo'))}</th>
      <th scope="col">${escapeHtml(t('installerPayload'))}</th>
    </tr></thead>
    <tbody>${rows.join('')}</tbody>
  </table>`;
}

function draw() {
  document.title = `${t('installerTitle')} – IOC`;
  const updated = seen
    ? `${t('installerUpdated')} ${formatDateTime(seen.at)}${failure ? ` · ${t('installerLoadFailed')}: ${errorText(failure)}` : ''}`
    : failure
      ? `${t('installerLoadFailed')}: ${errorText(failure)}`
      : '';
  root.innerHTML = `<header class="installer-head">
      <h1>${escapeHtml(t('installerTitle'))}</h1>
      <span class="installer-role">${escapeHtml(t('installerRole'))}</span>
      <button type="button" data-action="refresh">${escapeHtml(t('installerRefresh'))}</button>
      <button type="button" data-action="lang" lang="${state.lang === 'vi' ? 'en' : 'vi'}">${state.lang === 'vi' ? 'EN' : 'VI'}</button>
      <button type="button" data-action="logout">${escapeHtml(t('logout'))}</button>
    </header>
    <p>${escapeHtml(t('installerIntro'))}</p>
    <p id="installer-updated" class="installer-muted" role="status">${escapeHtml(updated)}</p>
    <section aria-labelledby="installer-devices-title">
      <h2 id="installer-devices-title">${escapeHtml(t('installerDevices'))}${seen ? ` (${escapeHtml(formatNumber(seen.total, 0))})` : ''}</h2>
      ${seen ? devicesTable(seen.devices, seen.messages, seen.profiles) : ''}
    </section>
    <section aria-labelledby="installer-refusals-title">
      <h2 id="installer-refusals-title">${escapeHtml(t('installerRefusals'))}</h2>
      ${seen ? refusalsTable(seen.refusals) : ''}
    </section>`;
}

async function refresh() {
  try {
    const [list, letters, kinds] = await Promise.all([
      api('GET', '/api/v1/devices?sort=-lastSeen&limit=500'),
      api('GET', `/api/v1/dead-letters?limit=${refusalsShown}`),
      // The profiles of its own devices: their names here, their metrics and ranges for the vendor.
      api('GET', '/api/v1/profiles'),
    ]);
    if (!list || !letters || !kinds) return; // the session ended: api() went back to the login
    const messages = new Map();
    await Promise.all(
      list.items.slice(0, payloadsShown).map(async (d) => {
        const answer = await api('GET', `/api/v1/devices/${encodeURIComponent(d.id)}/messages?limit=1`);
        messages.set(d.id, answer?.items[0] ?? null);
      }),
    );
    seen = {
      at: new Date().toISOString(),
      devices: list.items,
      total: list.total,
      messages,
      refusals: letters.items,
      profiles: new Map(kinds.items.map((p) => [p.id, p.name])),
    };
    failure = null;
  } catch (error) {
    failure = error;
  }
  draw();
}

/** Shows the page instead of the map; called by app.js when an installer has logged in. */
export async function startInstaller() {
  const style = document.createElement('link');
  style.rel = 'stylesheet';
  style.href = '/console/installer/installer.css';
  document.head.append(style);
  root = document.createElement('main');
  root.id = 'installer';
  root.className = 'installer';
  document.body.prepend(root);
  root.addEventListener('click', (event) => {
    const action = event.target.closest('button[data-action]')?.dataset.action;
    if (action === 'logout') logout();
    if (action === 'refresh') void refresh();
    if (action === 'lang') {
      state.lang = state.lang === 'vi' ? 'en' : 'vi';
      localStorage.setItem('ioc.lang', state.lang);
      applyTexts();
      draw();
      root.querySelector('button[data-action="lang"]').focus();
    }
  });
  draw();
  await refresh();
  setInterval(refresh, refreshMs);
}
