// Controls the notification forms need beyond one input per field: secrets typed but never shown, a
// choice of several contacts, schedules or channels by name, times of day, and lists of on-call shifts
// and escalation steps. Each reads back the value the API's schema asks for; limits come from the schema.
import { api } from '../api.js';
import { attempt } from '../feedback.js';
import { t } from '../i18n.js';
import { actionButton } from './table.js';

let ids = 0;
const nextId = (base) => `${base}-${++ids}`;

function labelled(id, text, input) {
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = text;
  input.id = id;
  return [label, input];
}

/** A secret: typed in a password box; an empty box leaves it as it is (or unset). */
export function secretWidget(isSet) {
  return ({ id, label }) => {
    const wrap = document.createElement('div');
    wrap.className = 'notif-field';
    const input = document.createElement('input');
    input.type = 'password';
    input.autocomplete = 'new-password';
    input.placeholder = isSet ? t('notifSecretKeep') : '';
    wrap.append(...labelled(id, label, input));
    if (isSet) {
      const hint = document.createElement('span');
      hint.className = 'field-hint';
      hint.textContent = ` ${t('notifSecretIsSet')}`;
      wrap.querySelector('label').append(hint);
    }
    return { element: wrap, read: () => (input.value === '' ? undefined : input.value) };
  };
}

/** A value the form must send but nobody chooses here (the SMS provider picked above the form). */
export function fixedWidget(value) {
  return () => ({ element: document.createElement('span'), read: () => value });
}

/** Several things chosen by name ({id, name}), as a group of checkboxes; reads their ids. */
export function pickMany(legendText, things, chosen = []) {
  const fieldset = document.createElement('fieldset');
  fieldset.className = 'notif-pick';
  const legend = document.createElement('legend');
  legend.textContent = legendText;
  fieldset.append(legend);
  if (things.length === 0) {
    const none = document.createElement('span');
    none.className = 'field-hint';
    none.textContent = t('notifNoneYet');
    fieldset.append(none);
  }
  const boxes = things.map((thing) => {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = String(thing.id);
    box.checked = chosen.includes(thing.id);
    const wrap = document.createElement('span');
    wrap.className = 'notif-pick-item';
    wrap.append(...labelled(nextId('pick'), thing.name, box).reverse());
    fieldset.append(wrap);
    return box;
  });
  return { element: fieldset, read: () => boxes.filter((b) => b.checked).map((b) => Number(b.value)) };
}

/** A time of day, HH:MM (the browser's time picker, which writes the same form). */
function timeInput(text, value) {
  const wrap = document.createElement('span');
  const input = document.createElement('input');
  input.type = 'time';
  input.value = value ?? '';
  wrap.append(...labelled(nextId('time'), text, input));
  return { element: wrap, read: () => input.value };
}

/** Quiet hours: none, or start, end and what happens to a step that falls in them. */
export function quietHoursWidget({ id, label, schema, value }) {
  const wrap = document.createElement('fieldset');
  wrap.className = 'notif-quiet';
  const legend = document.createElement('legend');
  legend.textContent = label;
  const on = document.createElement('input');
  on.type = 'checkbox';
  on.checked = Boolean(value);
  const onWrap = document.createElement('span');
  onWrap.append(...labelled(id, t('notifQuietOn'), on).reverse());
  const start = timeInput(t('notifFrom'), value?.start ?? '22:00');
  const end = timeInput(t('notifTo'), value?.end ?? '06:00');
  const action = document.createElement('select');
  for (const option of schema.properties.action.enum) {
    const o = document.createElement('option');
    o.value = option;
    o.textContent = t(option === 'hold' ? 'notifQuietHold' : 'notifQuietSkip');
    action.append(o);
  }
  action.value = value?.action ?? schema.properties.action.default ?? 'hold';
  const actionWrap = document.createElement('span');
  actionWrap.append(...labelled(nextId('quiet-action'), t('notifQuietAction'), action));
  const hint = document.createElement('p');
  hint.className = 'field-hint';
  hint.textContent = t('notifQuietHint');
  wrap.append(legend, onWrap, start.element, end.element, actionWrap, hint);
  return {
    element: wrap,
    read: () => (on.checked ? { start: start.read(), end: end.read(), action: action.value } : null),
  };
}

/** A list of rows (shifts, steps) with add and remove; each row is drawn by `row(value)`. */
function rowList({ id, label, value, empty, row, addText, removeText }) {
  const wrap = document.createElement('fieldset');
  wrap.className = 'notif-rows';
  const legend = document.createElement('legend');
  legend.textContent = label;
  const list = document.createElement('ol');
  const rows = [];
  function add(v) {
    const item = document.createElement('li');
    item.className = 'notif-row-item';
    const drawn = row(v);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = t(removeText);
    remove.addEventListener('click', () => {
      rows.splice(rows.indexOf(drawn), 1);
      item.remove();
    });
    item.append(drawn.element, remove);
    list.append(item);
    rows.push(drawn);
  }
  const addButton = document.createElement('button');
  addButton.type = 'button';
  addButton.id = id;
  addButton.textContent = t(addText);
  addButton.addEventListener('click', () => add(empty()));
  for (const v of value ?? []) add(v);
  if (rows.length === 0) add(empty());
  wrap.append(legend, list, addButton);
  return { element: wrap, read: () => rows.map((r) => r.read()) };
}

/** On-call shifts: weekdays, from, to, who. Weekdays come from the schema's 1..7. */
export function shiftsWidget(contacts) {
  return ({ id, label, schema, value }) => {
    const days = schema.items.properties.days.items;
    const weekdays = [];
    for (let d = days.minimum ?? 1; d <= (days.maximum ?? 7); d++) weekdays.push(d);
    const dayText = (d) => t(`notifDay${d}`);
    return rowList({
      id,
      label,
      value,
      addText: 'notifAddShift',
      removeText: 'notifRemoveShift',
      empty: () => ({ days: [1, 2, 3, 4, 5], start: '07:00', end: '19:00', contactIds: [] }),
      row: (v) => {
        const box = document.createElement('div');
        box.className = 'notif-row';
        const dayPick = pickMany(
          t('notifDays'),
          weekdays.map((d) => ({ id: d, name: dayText(d) })),
          v.days,
        );
        const start = timeInput(t('notifFrom'), v.start);
        const end = timeInput(t('notifTo'), v.end);
        const who = pickMany(t('notifWho'), contacts, v.contactIds);
        box.append(dayPick.element, start.element, end.element, who.element);
        return {
          element: box,
          read: () => ({
            days: dayPick.read(),
            start: start.read(),
            end: end.read(),
            contactIds: who.read(),
          }),
        };
      },
    });
  };
}

/** Escalation steps: after N minutes, these schedules and contacts, on these channels. */
export function stepsWidget({ schedules, contacts, channels }) {
  return ({ id, label, schema, value }) => {
    const minutes = schema.items.properties.afterMinutes;
    return rowList({
      id,
      label,
      value,
      addText: 'notifAddStep',
      removeText: 'notifRemoveStep',
      empty: () => ({ afterMinutes: 0, scheduleIds: [], contactIds: [], channelIds: [] }),
      row: (v) => {
        const box = document.createElement('div');
        box.className = 'notif-row';
        const after = document.createElement('input');
        after.type = 'number';
        after.min = String(minutes.minimum ?? 0);
        after.max = String(minutes.maximum ?? 10_080);
        after.step = '1';
        after.value = String(v.afterMinutes ?? 0);
        const afterWrap = document.createElement('span');
        afterWrap.append(...labelled(nextId('after'), t('notifAfterMinutes'), after));
        const onSchedules = pickMany(t('notifStepSchedules'), schedules, v.scheduleIds);
        const toContacts = pickMany(t('notifStepContacts'), contacts, v.contactIds);
        const via = pickMany(t('notifStepChannels'), channels, v.channelIds);
        box.append(afterWrap, onSchedules.element, toContacts.element, via.element);
        return {
          element: box,
          read: () => ({
            afterMinutes: after.value === '' ? Number.NaN : Number(after.value),
            scheduleIds: onSchedules.read(),
            contactIds: toContacts.read(),
            channelIds: via.read(),
          }),
        };
      },
    });
  };
}

/** An area chosen by name, or every area (null). */
export function areaWidget(areas) {
  return ({ id, label, value }) => {
    const wrap = document.createElement('div');
    wrap.className = 'notif-field';
    const select = document.createElement('select');
    const all = document.createElement('option');
    all.value = '';
    all.textContent = t('notifEveryArea');
    select.append(all);
    for (const area of areas) {
      const o = document.createElement('option');
      o.value = area.id;
      o.textContent = area.name ?? area.id;
      select.append(o);
    }
    select.value = value ?? '';
    wrap.append(...labelled(id, label, select));
    return { element: wrap, read: () => (select.value === '' ? null : select.value) };
  };
}

/** A JSON object typed as text (an SMS gateway's request body); unreadable text stays text for the API to refuse. */
export function jsonWidget({ id, label, value }) {
  const wrap = document.createElement('div');
  wrap.className = 'notif-field';
  const area = document.createElement('textarea');
  area.rows = 4;
  area.maxLength = 10_000;
  area.value = value ? JSON.stringify(value, null, 2) : '{"to": ["{{phone}}"], "content": "{{text}}"}';
  wrap.append(...labelled(id, label, area));
  return {
    element: wrap,
    read: () => {
      try {
        return JSON.parse(area.value);
      } catch {
        return area.value;
      }
    },
  };
}

/**
 * The actions cell of a channel, contact, schedule or policy row: any buttons of its own, edit, and
 * delete after a confirmation (`DELETE /api/v1/notifications/<path>/<id>`, then `removed()`).
 */
export function rowActions(item, { path, edit, removed, before = [] }) {
  const cell = document.createElement('span');
  cell.className = 'notif-actions';
  cell.append(
    ...before,
    actionButton('notifEdit', edit, { label: `${t('notifEdit')}: ${item.name}` }),
    actionButton(
      'notifDelete',
      async () => {
        if (!confirm(t('notifConfirmDelete').replace('{name}', item.name))) return;
        if ((await attempt(() => api('DELETE', `/api/v1/notifications/${path}/${item.id}`))) !== undefined)
          await removed();
      },
      { danger: true, label: `${t('notifDelete')}: ${item.name}` },
    ),
  );
  return cell;
}
