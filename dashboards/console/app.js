// The operators' console: live map, alert list, device panel. Plain ES module, no build step.
// Data: REST for history and actions, socket.io /live for the present.
import { strings } from './strings.js';

const L = window.L;
const colours = {
  ok: '#2e9e44',
  info: '#3f88c5',
  warning: '#f49d37',
  critical: '#d7263d',
  offline: '#8a8f98',
};
const severityRank = { critical: 0, warning: 1, info: 2 };
const state = {
  lang: localStorage.getItem('ioc.lang') || 'vi',
  token: sessionStorage.getItem('ioc.token'),
  role: sessionStorage.getItem('ioc.role'),
  catalog: null,
  devices: new Map(),
  markers: new Map(),
  alerts: new Map(),
  filter: {},
  socket: null,
  map: null,
  cluster: null,
};
const $ = (id) => document.getElementById(id);
const t = (key) => strings[state.lang][key] ?? key;
// Viewers watch; operators and admins act. The API enforces the same, this only hides what would fail.
const canOperate = () => state.role === 'operator' || state.role === 'admin';

function applyLanguage() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll('[data-text]')) el.textContent = t(el.dataset.text);
  $('lang').textContent = state.lang === 'vi' ? 'EN' : 'VI';
  renderFilters();
  renderAlerts();
}

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${state.token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) return logout();
  const data = res.status === 204 ? null : await res.json();
  if (!res.ok) throw new Error(data?.error?.message ?? res.statusText);
  return data;
}

function markerState(device) {
  if (device.alert) return device.alert;
  if (device.online === false) return 'offline';
  return 'ok';
}

function upsertMarker(device) {
  const look = markerState(device);
  let marker = state.markers.get(device.id);
  if (!marker) {
    marker = L.circleMarker([device.lat, device.lon], {
      radius: 7,
      weight: 1,
      color: '#fff',
      fillOpacity: 0.95,
    });
    marker.on('click', () => openPanel(device.id));
    state.markers.set(device.id, marker);
    state.cluster.addLayer(marker);
  }
  marker.setStyle({ fillColor: colours[look] });
  if (marker.deviceState !== undefined && marker.deviceState !== look) state.cluster.refreshClusters(marker);
  marker.deviceState = look;
  marker.bindTooltip(device.name);
}

function renderCounts() {
  let online = 0;
  for (const d of state.devices.values()) if (d.online) online++;
  $('count-online').textContent = online;
  $('count-devices').textContent = state.devices.size;
  const counts = { critical: 0, warning: 0, info: 0 };
  for (const a of state.alerts.values()) if (a.state !== 'resolved') counts[a.severity]++;
  for (const s of Object.keys(counts)) $(`count-${s}`).textContent = counts[s];
}

function renderAlerts() {
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
    meta.textContent = `${t(alert.severity)} · ${t(alert.state)} · ${new Date(alert.openedAt).toLocaleString(state.lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh' })}${alert.count > 1 ? ` · ×${alert.count}` : ''}`;
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

function onAlert({ alert }) {
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

/** The unit's name (Phường Tân Ninh) from the catalogue's areas, the id when it is not there. */
function wardName(device) {
  const city = state.catalog?.cities.find((c) => c.city === device.city);
  return city?.wards.find((w) => w.id === device.ward)?.name ?? device.ward;
}

function renderFilters() {
  if (!state.catalog) return;
  const fill = (select, all, options, value) => {
    select.replaceChildren(new Option(t(all), ''), ...options.map(([v, label]) => new Option(label, v)));
    select.value = value ?? '';
  };
  const cities = state.catalog.cities;
  fill(
    $('filter-city'),
    'allCities',
    cities.map((c) => [c.city, c.name[state.lang]]),
    state.filter.city,
  );
  const city = cities.find((c) => c.city === state.filter.city);
  fill(
    $('filter-ward'),
    'allWards',
    (city?.wards ?? []).map((w) => [w.id, w.name]),
    state.filter.wards?.[0],
  );
  fill(
    $('filter-kind'),
    'allKinds',
    state.catalog.kinds.map((k) => [k.kind, k.name[state.lang]]),
    state.filter.kinds?.[0],
  );
}

function onFilterChange() {
  const city = $('filter-city').value || undefined;
  const ward = $('filter-ward').value || undefined;
  const kind = $('filter-kind').value || undefined;
  state.filter = {
    ...(city ? { city } : {}),
    ...(city && ward ? { wards: [ward] } : {}),
    ...(kind ? { kinds: [kind] } : {}),
  };
  renderFilters();
  state.socket?.emit('subscribe', state.filter, () => {});
}

function onSnapshot(snapshot) {
  state.cluster.clearLayers();
  state.markers.clear();
  state.devices = new Map(snapshot.devices.map((d) => [d.id, d]));
  state.alerts = new Map(snapshot.alerts.map((a) => [a.id, a]));
  for (const device of state.devices.values()) upsertMarker(device);
  renderAlerts();
  if (snapshot.devices.length > 0 && !state.fitted) {
    state.map.fitBounds(L.latLngBounds(snapshot.devices.map((d) => [d.lat, d.lon])), { padding: [20, 20] });
    state.fitted = true;
  }
}

function connectLive() {
  const socket = window.io('/live', { auth: { token: state.token }, transports: ['websocket'] });
  state.socket = socket;
  socket.on('connect', () => {
    $('live-status').textContent = t('connected');
    if (Object.keys(state.filter).length) socket.emit('subscribe', state.filter, () => {});
  });
  socket.on('disconnect', () => ($('live-status').textContent = t('disconnected')));
  socket.on('connect_error', (error) => {
    if (String(error.message).startsWith('UNAUTHENTICATED')) logout();
  });
  // The server closed this session (logged out elsewhere, account disabled, password or role
  // changed): back to the login form, where a changed role takes effect with the next login.
  socket.on('session_ended', () => backToLogin());
  socket.on('snapshot', onSnapshot);
  socket.on('alert', onAlert);
  socket.on('device_status', ({ deviceId, online }) => {
    const device = state.devices.get(deviceId);
    if (!device) return;
    device.online = online;
    upsertMarker(device);
    renderCounts();
  });
  socket.on('device_aqi', ({ deviceId, aqi }) => {
    const device = state.devices.get(deviceId);
    if (!device) return;
    device.aqi = aqi;
    if (state.panel === deviceId) void renderPanel(deviceId);
  });
  socket.on('telemetry', (batch) => {
    const record = window.iocConsole.record;
    for (const { deviceId, ts, metrics } of batch) {
      if (record) record.push(Date.now() - Date.parse(ts));
      const device = state.devices.get(deviceId);
      if (!device) continue;
      Object.assign(device.metrics, metrics);
      device.ts = ts;
      if (state.panel === deviceId) updatePanel(deviceId);
    }
  });
}

async function openPanel(deviceId) {
  state.panel = deviceId;
  await renderPanel(deviceId);
}

function latestRows(device, kind) {
  return Object.entries(device.metrics)
    .map(
      ([m, v]) =>
        `<tr><td>${escapeHtml(kind.metrics[m]?.name[state.lang] ?? m)}</td><td>${v} ${escapeHtml(kind.metrics[m]?.unit ?? '')}</td></tr>`,
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
function updatePanel(deviceId) {
  const device = state.devices.get(deviceId);
  const kind = state.catalog.kinds.find((k) => k.kind === device?.kind);
  const table = $('panel-latest');
  if (device && kind && table) table.innerHTML = latestRows(device, kind);
}

async function renderPanel(deviceId) {
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
    <h4>${t('latest')}</h4><table id="panel-latest">${latestRows(device, kind)}</table>${controls}<h4>${t('lastHours')}</h4><div id="chart"></div>`;
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

async function drawChart(device, kind) {
  const metric =
    Object.keys(kind.metrics).find((m) => kind.metrics[m].type === 'number' && m in device.metrics) ??
    Object.keys(kind.metrics)[0];
  const from = new Date(Date.now() - 6 * 3600_000).toISOString();
  const data = await api(
    'GET',
    `/api/v1/devices/${device.id}/telemetry?metric=${metric}&bucket=5m&from=${from}`,
  );
  const points = data.points;
  const chart = $('chart');
  if (!chart || points.length === 0) return;
  const w = 380;
  const h = 120;
  const min = Math.min(...points.map((p) => p.min));
  const max = Math.max(...points.map((p) => p.max));
  const t0 = Date.parse(points[0].ts);
  const t1 = Date.parse(points.at(-1).ts) || t0 + 1;
  const x = (ts) => ((Date.parse(ts) - t0) / Math.max(1, t1 - t0)) * (w - 10) + 5;
  const y = (v) => h - 5 - ((v - min) / Math.max(1e-9, max - min)) * (h - 10);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.ts).toFixed(1)},${y(p.avg).toFixed(1)}`).join(' ');
  chart.innerHTML = `<svg width="${w}" height="${h}" role="img" aria-label="${escapeHtml(metric)}"><path d="${path}" fill="none" stroke="#3f88c5" stroke-width="2"/></svg>
    <div class="meta">${escapeHtml(kind.metrics[metric].name[state.lang])}: ${min.toFixed(1)} – ${max.toFixed(1)} ${escapeHtml(kind.metrics[metric].unit)}</div>`;
}

function escapeHtml(text) {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
}

async function start() {
  $('login').hidden = true;
  $('app').hidden = false;
  const config = await (await fetch('/api/v1/console/config')).json();
  state.catalog = await api('GET', '/api/v1/catalog');
  if (!state.catalog) return;
  state.map = L.map('map', { maxZoom: 19, minZoom: 8 }).setView([11.31, 106.1], 13);
  if (config.tileUrl)
    L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: '© OpenStreetMap' }).addTo(state.map);
  // Without tiles (no internet in the control room) the wards' names still place the devices.
  for (const city of state.catalog.cities) {
    for (const ward of city.wards) {
      L.marker([ward.lat, ward.lon], {
        icon: L.divIcon({ className: 'ward-label', html: escapeHtml(ward.name), iconSize: [120, 16] }),
      }).addTo(state.map);
    }
  }
  state.cluster = L.markerClusterGroup({
    disableClusteringAtZoom: 16,
    maxClusterRadius: 40,
    chunkedLoading: true,
    // A cluster wears the colour of its worst device: a fire in the Old Town shows red at any zoom.
    iconCreateFunction: (cluster) => {
      const order = ['critical', 'warning', 'info', 'offline', 'ok'];
      const looks = cluster.getAllChildMarkers().map((m) => m.deviceState ?? 'ok');
      const worst = order.find((look) => looks.includes(look)) ?? 'ok';
      const size = cluster.getChildCount();
      return L.divIcon({
        html: `<div style="background:${colours[worst]}">${size}</div>`,
        className: `cluster cluster-${worst}`,
        iconSize: [36, 36],
      });
    },
  });
  state.map.addLayer(state.cluster);
  applyLanguage();
  connectLive();
}

function logout() {
  if (state.token)
    fetch('/api/v1/auth/logout', {
      method: 'POST',
      headers: { authorization: `Bearer ${state.token}` },
    }).catch(() => {});
  backToLogin();
}

function backToLogin() {
  sessionStorage.removeItem('ioc.token');
  sessionStorage.removeItem('ioc.role');
  location.reload();
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: $('username').value, password: $('password').value }),
  });
  if (!res.ok) {
    $('login-error').textContent = res.status === 429 ? (await res.json()).error.message : t('loginFailed');
    return;
  }
  const session = await res.json();
  state.token = session.token;
  state.role = session.role;
  sessionStorage.setItem('ioc.token', state.token);
  sessionStorage.setItem('ioc.role', state.role);
  await start();
});
$('lang').addEventListener('click', () => {
  state.lang = state.lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem('ioc.lang', state.lang);
  applyLanguage();
  if (state.panel) void renderPanel(state.panel);
});
$('logout').addEventListener('click', logout);
for (const id of ['filter-city', 'filter-ward', 'filter-kind'])
  $(id).addEventListener('change', onFilterChange);

// For operators' scripts and the browser tests: what the map shows for a device.
window.iocConsole = {
  markerState: (id) => state.markers.get(id)?.deviceState ?? null,
  devices: () => state.devices.size,
  open: (id) => openPanel(id),
  zoom: (level) => state.map.setZoom(level, { animate: false }),
};

applyLanguage();
if (state.token) start();
else $('login').hidden = false;
