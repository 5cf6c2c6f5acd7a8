// The operators' console: live map, alert list, device panel. Plain ES modules, no build step; this
// file wires them (login, language, filters) and each module does one job.
// Data: REST for history and actions (api.js), socket.io /live for the present (live.js).
import { redrawAdmin, setUpAdmin } from './admin/admin.js';
import { heard, isSounding, setUpAlarm } from './alarm.js';
import { closeAlert, followLink } from './alertDetail.js';
import { renderAlerts, setUpBulk } from './alerts.js';
import { api } from './api.js';
import { displayMode, displayUrl, enterDisplay, keepSession } from './display.js';
import { onFilterChange, renderFilters } from './filters.js';
import { applyTexts, errorText, t } from './i18n.js';
import { connectLive } from './live.js';
import { createMap } from './map.js';
import { openPanel, renderPanel } from './panel.js';
import { loadAreas } from './places.js';
import { logout } from './session.js';
import { $, state } from './state.js';

function applyLanguage() {
  applyTexts();
  renderFilters();
  renderAlerts();
  redrawAdmin();
}

async function start() {
  $('login').hidden = true;
  // An installer / vendor sees its own devices' page instead of the map (installer/installer.js).
  if (state.role === 'installer') return (await import('./installer/installer.js')).startInstaller();
  $('app').hidden = false;
  const [config, basemap] = await Promise.all(
    ['/api/v1/console/config', '/api/v1/console/basemap'].map(async (path) => (await fetch(path)).json()),
  );
  state.catalog = await api('GET', '/api/v1/catalog');
  if (!state.catalog) return;
  await loadAreas();
  await createMap({ tileUrl: config.tileUrl, pmtilesUrl: basemap.url });
  applyLanguage();
  connectLive();
  followLink();
  await setUpAdmin();
  if (displayMode) {
    enterDisplay();
    keepSession();
  }
}

$('login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const res = await fetch('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: $('username').value, password: $('password').value }),
  });
  if (!res.ok) {
    // A wrong password is one text; a throttle or a locked account says so, in the reader's language.
    const code = (await res.json().catch(() => null))?.error?.code;
    $('login-error').textContent = res.status === 401 ? t('loginFailed') : errorText({ code });
    return;
  }
  const session = await res.json();
  state.token = session.token;
  state.role = session.role;
  sessionStorage.setItem('ioc.token', state.token);
  sessionStorage.setItem('ioc.role', state.role);
  sessionStorage.setItem('ioc.expiresAt', session.expiresAt);
  state.scope = session.scope ?? 'all';
  sessionStorage.setItem('ioc.scope', JSON.stringify(state.scope));
  await start();
});
$('lang').addEventListener('click', () => {
  state.lang = state.lang === 'vi' ? 'en' : 'vi';
  localStorage.setItem('ioc.lang', state.lang);
  applyLanguage();
  if (state.panel) void renderPanel(state.panel);
});
$('logout').addEventListener('click', logout);
$('display').addEventListener('click', () => location.assign(displayUrl()));
setUpAlarm();
setUpBulk();
window.addEventListener('hashchange', followLink);
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && state.alertDetail) closeAlert();
});
for (const id of ['filter-city', 'filter-ward', 'filter-kind'])
  $(id).addEventListener('change', onFilterChange);

// For operators' scripts and the browser tests: what the map shows for a device.
window.iocConsole = {
  markerState: (id) => state.markers.get(id)?.deviceState ?? null,
  devices: () => state.devices.size,
  open: (id) => openPanel(id),
  zoom: (level) => state.map.setZoom(level, { animate: false }),
  view: () => ({
    ...state.map.getCenter(),
    zoom: state.map.getZoom(),
    bounds: state.map.getBounds().toBBoxString(),
  }),
  boundaries: () => state.boundaries ?? 0,
  /** When the alarm was heard for each alert ({ alertId, at }), and whether it sounds now. */
  heard: () => heard,
  sounding: isSounding,
  /** Drops and re-opens the live link, as a network blip would. */
  reconnect: () => state.socket.disconnect().connect(),
  /** Zooms until the device's own marker shows (out of its cluster). */
  show: (id) => new Promise((resolve) => state.cluster.zoomToShowLayer(state.markers.get(id), resolve)),
  /** The unit names shown (not hidden to avoid an overlap) and whether any two shown overlap. */
  labels: () => {
    const boxes = [...document.querySelectorAll('.ward-label span:not(.label-hidden)')].map((el) =>
      el.getBoundingClientRect(),
    );
    const overlap = boxes.some((a, i) =>
      boxes.some(
        (b, j) => j > i && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom,
      ),
    );
    return { shown: boxes.length, overlap };
  },
};

applyLanguage();
if (state.token) start();
else $('login').hidden = false;
