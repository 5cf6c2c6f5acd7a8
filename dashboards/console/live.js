// The present, over socket.io /live: a snapshot on (re)connect, then alerts, status, AQI and readings.
import { onAlert, renderAlerts, renderCounts } from './alerts.js';
import { t } from './i18n.js';
import { showDevices, upsertMarker } from './map.js';
import { renderPanel, updatePanel } from './panel.js';
import { backToLogin, logout } from './session.js';
import { $, state } from './state.js';

function onSnapshot(snapshot) {
  state.devices = new Map(snapshot.devices.map((d) => [d.id, d]));
  state.alerts = new Map(snapshot.alerts.map((a) => [a.id, a]));
  showDevices([...state.devices.values()]);
  renderAlerts();
}

export function connectLive() {
  const socket = window.io('/live', { auth: { token: state.token }, transports: ['websocket'] });
  state.socket = socket;
  socket.on('connect', () => {
    // data-text: a language switch redraws it like every other label.
    $('live-status').dataset.text = 'connected';
    $('live-status').textContent = t('connected');
    if (Object.keys(state.filter).length) socket.emit('subscribe', state.filter, () => {});
  });
  socket.on('disconnect', () => {
    $('live-status').dataset.text = 'disconnected';
    $('live-status').textContent = t('disconnected');
  });
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
