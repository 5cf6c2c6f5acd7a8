// Notifications and on-call: the channels messages go out on, the people they reach, who is on call
// when, how an unacknowledged alert escalates, and the log of every message sent. One section at a time,
// named in the address (#admin/notifications/<section>) so a reload or a shared link opens the same one.
import { addStrings, t } from '../i18n.js';
import { strings } from './notifications.strings.js';
import { renderChannels } from './notificationsChannels.js';
import { renderLog } from './notificationsLog.js';
import { renderContacts, renderSchedules } from './notificationsPeople.js';
import { renderPolicies } from './notificationsPolicies.js';

addStrings(strings);

const sections = [
  { id: 'channels', text: 'notifChannels', draw: renderChannels },
  { id: 'contacts', text: 'notifContacts', draw: renderContacts },
  { id: 'schedules', text: 'notifSchedules', draw: renderSchedules },
  { id: 'policies', text: 'notifPolicies', draw: renderPolicies },
  { id: 'log', text: 'notifLog', draw: (section) => renderLog(section) },
];

export async function render(container, { rest }) {
  const current = sections.find((s) => s.id === rest) ?? sections[0];
  const heading = document.createElement('h2');
  heading.textContent = t('adminNotifications');
  const nav = document.createElement('nav');
  nav.className = 'notif-tabs';
  nav.setAttribute('aria-label', t('notifSections'));
  for (const s of sections) {
    const a = document.createElement('a');
    a.href = `#admin/notifications/${s.id}`;
    a.textContent = t(s.text);
    if (s === current) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  const section = document.createElement('section');
  section.className = 'notif-section';
  section.id = `notif-${current.id}`;
  section.setAttribute('aria-label', t(current.text));
  container.replaceChildren(heading, nav, section);
  await current.draw(section);
}
