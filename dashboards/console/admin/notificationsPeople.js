// Who is told: contacts (a person's email, phone and Zalo user id) and on-call schedules (weekly shifts,
// Asia/Ho_Chi_Minh time), with who is on call right now. Forms are the API's own request schemas.
import { api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { t } from '../i18n.js';
import { createForm } from './form.js';
import { rowActions, shiftsWidget } from './notificationsWidgets.js';
import { bodySchema } from './schemas.js';
import { createTable } from './table.js';

const contactLabels = {
  name: 'notifName',
  username: 'notifUsername',
  email: 'notifEmail',
  phone: 'notifPhone',
  zaloUserId: 'notifZaloUserId',
  enabled: 'notifEnabled',
};

/** A list with edit and delete per row, and a form below to add one or edit the one chosen. */
async function collection(section, opts) {
  const { path, caption, columns, schemaPath, labels, widgets, newText, fields } = opts;
  const [schema, { items }] = await Promise.all([
    bodySchema('post', schemaPath),
    api('GET', `/api/v1/notifications/${path}`),
  ]);
  const redraw = () => collection(section, opts);
  const formBox = document.createElement('div');
  const heading = document.createElement('h3');
  function drawForm(item) {
    heading.textContent = t(item ? 'notifEditing' : newText).replace('{name}', item?.name ?? '');
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.textContent = t('cancel');
    cancel.addEventListener('click', () => drawForm(null));
    const form = createForm({
      schema,
      values: item ?? {},
      fields,
      labels,
      widgets: widgets(),
      submitText: item ? 'save' : newText,
      extraActions: item ? [cancel] : [],
      onSubmit: async (body) => {
        await api(item ? 'PUT' : 'POST', `/api/v1/notifications/${path}${item ? `/${item.id}` : ''}`, body);
        say(t('notifSaved'));
        await redraw();
      },
    });
    form.element.setAttribute('aria-label', heading.textContent);
    formBox.replaceChildren(form.element);
  }
  const actions = (item) => rowActions(item, { path, edit: () => drawForm(item), removed: redraw });
  const rows = await Promise.all(items.map(async (item) => ({ ...item, ...(await columns.extra?.(item)) })));
  const table = createTable({
    caption,
    columns: [...columns.list, { text: 'notifActions', value: actions }],
    rows,
  });
  drawForm(null);
  section.replaceChildren(table, heading, formBox);
}

export async function renderContacts(section) {
  await collection(section, {
    path: 'contacts',
    caption: 'notifContacts',
    schemaPath: '/api/v1/notifications/contacts',
    labels: contactLabels,
    fields: ['name', 'username', 'email', 'phone', 'zaloUserId', 'enabled'],
    widgets: () => ({}),
    newText: 'notifNewContact',
    columns: {
      list: [
        { text: 'notifName', value: (c) => c.name },
        { text: 'notifEmail', value: (c) => c.email ?? '—' },
        { text: 'notifPhone', value: (c) => c.phone ?? '—' },
        { text: 'notifZaloUserId', value: (c) => c.zaloUserId ?? '—' },
        { text: 'notifEnabled', value: (c) => t(c.enabled ? 'notifYes' : 'notifNo') },
      ],
    },
  });
}

const dayList = (days) => days.map((d) => t(`notifDayShort${d}`)).join(', ');

export async function renderSchedules(section) {
  const { items: contacts } = await api('GET', '/api/v1/notifications/contacts');
  const names = (ids) => ids.map((id) => contacts.find((c) => c.id === id)?.name ?? `#${id}`).join(', ');
  await collection(section, {
    path: 'schedules',
    caption: 'notifSchedules',
    schemaPath: '/api/v1/notifications/schedules',
    labels: { name: 'notifName', shifts: 'notifShifts' },
    fields: ['name', 'shifts'],
    widgets: () => ({ shifts: shiftsWidget(contacts) }),
    newText: 'notifNewSchedule',
    columns: {
      // Who is on call now, as the API says (the same rule escalation uses), beside the shifts.
      extra: async (s) => ({
        now: (await attempt(() => api('GET', `/api/v1/notifications/schedules/${s.id}/on-call`)))?.contactIds,
      }),
      list: [
        { text: 'notifName', value: (s) => s.name },
        {
          text: 'notifShifts',
          value: (s) => {
            const list = document.createElement('ul');
            list.className = 'notif-shifts';
            for (const shift of s.shifts) {
              const li = document.createElement('li');
              li.textContent = `${dayList(shift.days)} ${shift.start}–${shift.end}: ${names(shift.contactIds)}`;
              list.append(li);
            }
            return list;
          },
        },
        {
          text: 'notifOnCallNow',
          value: (s) => (s.now === undefined ? '?' : s.now.length ? names(s.now) : t('notifNobody')),
        },
      ],
    },
  });
}
