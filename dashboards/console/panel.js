// The device panel: latest values, VN_AQI, lamp commands and the chart of one device.
import { api } from './api.js';
import { drawChart } from './chart.js';
import { escapeHtml } from './html.js';
import { formatNumber, t } from './i18n.js';
import { unitName } from './places.js';
import { $, canOperate, state } from './state.js';

/** The unit's name (Phường Tân Ninh) from the catalogue's areas, the id when it is not there. */
export function wardName(device) {
  const named = unitName(device.city, device.ward);
  if (named) return named;
  const city = state.catalog?.cities.find((c) => c.city === device.city);
  return city?.wards.find((w) => w.id === device.ward)?.name ?? device.ward;
}

export async function openPanel(deviceId) {
  state.panel = deviceId;
  await renderPanel(deviceId);
}

/** The profile's primary metrics first, in its order, then the others as they came. */
function latestRows(device, kind) {
  const primary = kind.primaryMetrics ?? [];
  const rank = (m) => (primary.includes(m) ? primary.indexOf(m) : primary.length);
  return Object.entries(device.metrics)
    .sort(([a], [b]) => rank(a) - rank(b))
    .map(
      ([m, v]) =>
        `<tr><td>${escapeHtml(kind.metrics[m]?.name[state.lang] ?? m)}</td><td>${escapeHtml(formatNumber(v, 2))} ${escapeHtml(kind.metrics[m]?.unit ?? '')}</td></tr>`,
    )
    .join('');
}

/** VN_AQI of the last complete hour, in its category colour (Decision 1459/QĐ-TCMT). */
function aqiBadge(device) {
  if (device.kind !== 'environment') return '';
  if (!device.aqi) return `<p>VN_AQI: ${t('noAqi')}</p>`;
  const { value, colour, vi, en, dominant } = device.aqi;
  const dark = device.aqi.band >= 4;
  return `<p id="panel-aqi">VN_AQI <span class="aqi" style="background:${colour};color:${dark ? '#fff' : '#000'}">${value} · ${escapeHtml(state.lang === 'vi' ? vi : en)}</span> ${escapeHtml(dominant.toUpperCase())}</p>`;
}

/** New readings refresh the values only; the chart and a command's status stay. */
export function updatePanel(deviceId) {
  const device = state.devices.get(deviceId);
  const kind = state.catalog.kinds.find((k) => k.kind === device?.kind);
  const table = $('panel-latest');
  if (device && kind && table) table.innerHTML = latestRows(device, kind);
}

export async function renderPanel(deviceId) {
  const device = state.devices.get(deviceId);
  const kind = state.catalog.kinds.find((k) => k.kind === device?.kind);
  if (!device || !kind) return;
  const panel = $('panel');
  panel.hidden = false;
  const controls =
    device.kind === 'streetlight' && canOperate()
      ? `<p><label>${t('dim')} <input id="dim" type="range" min="0" max="100" value="${device.metrics.dim_pct ?? 100}"></label>
         <button id="lamp-on" type="button">${t('lampOn')}</button> <button id="lamp-off" type="button">${t('lampOff')}</button>
         <button id="send-dim" type="button">${t('send')}</button> <span id="command-status"></span></p>`
      : '';
  panel.innerHTML = `<button id="panel-close" type="button" style="float:right">${t('close')}</button>
    <h3>${escapeHtml(device.name)}</h3><p>${escapeHtml(kind.name[state.lang])} · ${escapeHtml(wardName(device))} · ${device.online === false ? t('offline') : ''}</p>
    ${aqiBadge(device)}
    <h4>${t('latest')}</h4><table id="panel-latest">${latestRows(device, kind)}</table>${controls}<h4>${t('history')}</h4><div id="chart"></div>`;
  $('panel-close').onclick = () => {
    panel.hidden = true;
    state.panel = null;
  };
  if (controls) {
    const send = async (args) => {
      const status = $('command-status');
      status.dataset.state = 'pending';
      status.textContent = t('pending');
      let command = await api('POST', `/api/v1/devices/${device.id}/commands`, { name: 'set_lamp', args });
      // Follow the command until the lamp answers (or the server gives up on it).
      for (let i = 0; i < 120 && command.state === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        command = await api('GET', `/api/v1/devices/${device.id}/commands/${command.id}`);
      }
      status.dataset.state = command.state;
      status.textContent = t(command.state);
    };
    $('lamp-on').onclick = () => send({ on: true });
    $('lamp-off').onclick = () => send({ on: false });
    $('send-dim').onclick = () => send({ on: true, dim_pct: Number($('dim').value) });
  }
  await drawChart(device, kind);
}
