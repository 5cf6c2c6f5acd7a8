// Alarms that reach a person: while a critical alert is open (not yet acknowledged) the console sounds
// a looping alarm, marks the tab (title and icon) and raises a browser notification once per alert.
// A mute is per console and runs out by itself, so a silenced night never stays silent.
import { t } from './i18n.js';
import { $, state } from './state.js';

export const muteMinutes = 5;
const muteKey = 'ioc.muteUntil';
const baseTitle = document.title;
const notified = new Set();
/** For the console benchmark and the tests: when the alarm was heard for each alert. */
export const heard = [];

// Made here rather than in the page: a sound with no words needs no captions track, and what it says
// is shown anyway (the tab's title and icon, the red list entry).
const sound = Object.assign(new Audio('/console/alarm.wav'), { loop: true, preload: 'auto' });
export const isSounding = () => !sound.paused;
const mutedUntil = () => Number(localStorage.getItem(muteKey) ?? 0);
export const isMuted = () => mutedUntil() > Date.now();

export function openCritical() {
  return [...state.alerts.values()].filter((a) => a.severity === 'critical' && a.state === 'open');
}

function markTab(count) {
  document.title = count > 0 ? `(${count}) ⚠ ${t('alarmTitle')} – ${baseTitle}` : baseTitle;
  $('favicon').href = count > 0 ? '/console/icon-alarm.svg' : '/console/icon.svg';
}

function notify(alert) {
  if (notified.has(alert.id)) return;
  notified.add(alert.id);
  if (!('Notification' in window) || Notification.permission !== 'granted') return;
  const note = new Notification(`⚠ ${t('critical')}`, {
    body: state.lang === 'vi' ? alert.message.vi : alert.message.en,
    tag: `alert-${alert.id}`,
    requireInteraction: true,
  });
  note.onclick = () => {
    window.focus();
    location.hash = `alert=${alert.id}`;
  };
}

function recordHeard(alerts) {
  const at = Date.now();
  for (const alert of alerts)
    if (!heard.some((h) => h.alertId === alert.id))
      heard.push({ alertId: alert.id, deviceId: alert.deviceId, at });
}

/** Brings sound, tab and notifications in line with the open critical alerts. */
export function updateAlarm() {
  const critical = openCritical();
  markTab(critical.length);
  for (const alert of critical) notify(alert);
  const mute = $('alarm-mute');
  mute.hidden = critical.length === 0;
  mute.textContent = isMuted() ? t('alarmMuted') : t('alarmMute');
  mute.setAttribute('aria-pressed', String(isMuted()));
  if (critical.length === 0 || isMuted()) {
    sound.pause();
    $('alarm-enable').hidden = true;
    return;
  }
  if (!sound.paused) return recordHeard(critical);
  sound.play().then(
    () => {
      $('alarm-enable').hidden = true;
      recordHeard(openCritical());
    },
    // The browser lets a page sound only after a click on it: ask for one.
    () => ($('alarm-enable').hidden = false),
  );
}

export function setUpAlarm() {
  $('alarm-mute').addEventListener('click', () => {
    if (isMuted()) localStorage.removeItem(muteKey);
    else localStorage.setItem(muteKey, String(Date.now() + muteMinutes * 60_000));
    updateAlarm();
  });
  // A click is what a browser needs to allow both the sound and the notification permission prompt.
  $('alarm-enable').addEventListener('click', () => {
    if ('Notification' in window && Notification.permission === 'default')
      void Notification.requestPermission();
    updateAlarm();
  });
  document.addEventListener(
    'click',
    () => {
      if ('Notification' in window && Notification.permission === 'default')
        void Notification.requestPermission();
    },
    { once: true },
  );
  // The mute runs out on its own.
  setInterval(() => {
    if (mutedUntil() && !isMuted()) {
      localStorage.removeItem(muteKey);
      updateAlarm();
    }
  }, 5_000);
}
