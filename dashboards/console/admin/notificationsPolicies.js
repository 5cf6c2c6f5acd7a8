// Escalation policies: for an area and severities, steps that go after N minutes while an alert is still
// unacknowledged, to whoever is on call in the schedules named and to the contacts named, on the
// channels named; quiet hours hold or skip non-critical steps. The form is the API's own PolicyInput.
import { api } from '../api.js';
import { say } from '../feedback.js';
import { t } from '../i18n.js';
import { state } from '../state.js';
import { createForm } from './form.js';
import { areaWidget, quietHoursWidget, rowActions, stepsWidget } from './notificationsWidgets.js';
import { bodySchema } from './schemas.js';
import { createTable } from './table.js';

const labels = {
  name: 'notifName',
  city: 'notifArea',
  severities: 'notifSeverities',
  steps: 'notifSteps',
  quietHours: 'notifQuietHours',
  notifyOnClose: 'notifNotifyOnClose',
  enabled: 'notifEnabled',
};

export async function renderPolicies(section) {
  const [schema, policies, channels, contacts, schedules] = await Promise.all([
    bodySchema('post', '/api/v1/notifications/policies'),
    api('GET', '/api/v1/notifications/policies'),
    api('GET', '/api/v1/notifications/channels'),
    api('GET', '/api/v1/notifications/contacts'),
    api('GET', '/api/v1/notifications/schedules'),
  ]);
  const named = (list, ids) => ids.map((id) => list.items.find((x) => x.id === id)?.name ?? `#${id}`);
  const areaName = (id) => (id ? (state.areas.find((a) => a.id === id)?.name ?? id) : t('notifEveryArea'));
  const redraw = () => renderPolicies(section);
  const heading = document.createElement('h3');
  const formBox = document.createElement('div');
  function drawForm(policy) {
    heading.textContent = policy ? t('notifEditing').replace('{name}', policy.name) : t('notifNewPolicy');
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = t('cancel');
    cancel.addEventListener('click', () => drawForm(null));
    const form = createForm({
      schema,
      values: policy ?? { severities: ['critical'] },
      fields: ['name', 'city', 'severities', 'steps', 'quietHours', 'notifyOnClose', 'enabled'],
      labels,
      widgets: {
        city: areaWidget(state.areas),
        steps: stepsWidget({
          schedules: schedules.items,
          contacts: contacts.items,
          channels: channels.items,
        }),
        quietHours: quietHoursWidget,
      },
      submitText: policy ? 'save' : 'notifNewPolicy',
      extraActions: policy ? [cancel] : [],
      onSubmit: async (body) => {
        await api(
          policy ? 'PUT' : 'POST',
          `/api/v1/notifications/policies${policy ? `/${policy.id}` : ''}`,
          body,
        );
        say(t('notifSaved'));
        await redraw();
      },
    });
    form.element.setAttribute('aria-label', heading.textContent);
    formBox.replaceChildren(form.element);
  }
  const table = createTable({
    caption: 'notifPolicies',
    columns: [
      { text: 'notifName', value: (p) => p.name },
      { text: 'notifArea', value: (p) => areaName(p.city) },
      { text: 'notifSeverities', value: (p) => p.severities.map((s) => t(s)).join(', ') },
      {
        text: 'notifSteps',
        value: (p) => {
          const list = document.createElement('ol');
          list.className = 'notif-steps';
          for (const step of p.steps) {
            const li = document.createElement('li');
            const who = [...named(schedules, step.scheduleIds), ...named(contacts, step.contactIds)].join(
              ', ',
            );
            li.textContent = t('notifStepText')
              .replace('{n}', String(step.afterMinutes))
              .replace('{who}', who)
              .replace('{via}', named(channels, step.channelIds).join(', '));
            list.append(li);
          }
          return list;
        },
      },
      {
        text: 'notifQuietHours',
        value: (p) =>
          p.quietHours
            ? `${p.quietHours.start}–${p.quietHours.end} (${t(p.quietHours.action === 'hold' ? 'notifQuietHold' : 'notifQuietSkip')})`
            : '—',
      },
      { text: 'notifEnabled', value: (p) => t(p.enabled ? 'notifYes' : 'notifNo') },
      {
        text: 'notifActions',
        value: (p) => rowActions(p, { path: 'policies', edit: () => drawForm(p), removed: redraw }),
      },
    ],
    rows: policies.items,
  });
  drawForm(null);
  section.replaceChildren(table, heading, formBox);
}
