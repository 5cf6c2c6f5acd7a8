// One device (#admin/devices/<id>): its facts, its name and position changed and its unit moved (forms
// from the API's own PATCH schema), a new secret issued (shown once with the file and QR code), the
// device disabled or enabled (the broker refuses a disabled one), removed; the connection details for
// the installer; the messages the IOC refused from it with their reasons; its connection history.
import { api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { addStrings, formatDateTime, formatNumber, t } from '../i18n.js';
import { state } from '../state.js';
import { strings } from './devices.strings.js';
import { showConnection } from './devicesCredentials.js';
import { areaName, loadChoices, placeWidgets, profileName, unitName } from './devicesPlaces.js';
import { createForm } from './form.js';
import { bodySchema } from './schemas.js';
import { actionButton, createTable } from './table.js';

addStrings(strings);

export const connectionText = (d) =>
  t(d.online === true ? 'devOnline' : d.online === false ? 'devOffline' : 'devUnknown');
export const stateText = (d) =>
  d.disabledAt ? t('devDisabledSince').replace('{time}', formatDateTime(d.disabledAt)) : t('devEnabled');

const fill = (key, id) => t(key).replace('{id}', id);

function heading(level, text) {
  const h = document.createElement(`h${level}`);
  h.textContent = text;
  return h;
}

function section(title, ...children) {
  const s = document.createElement('section');
  s.className = 'dev-section';
  s.append(heading(3, title), ...children);
  return s;
}

function facts(device, choices) {
  const list = document.createElement('dl');
  list.className = 'dev-facts';
  const add = (term, value) => {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  };
  add(t('devColName'), device.name);
  add(t('devColProfile'), profileName(choices, device.kind));
  add(t('devArea'), areaName(choices, device.city));
  add(t('devUnit'), unitName(choices, device.city, device.ward));
  add(
    `${t('devFieldLat')}, ${t('devFieldLon')}`,
    `${formatNumber(device.lat, 6)}, ${formatNumber(device.lon, 6)}`,
  );
  add(t('devFieldPole'), device.pole ?? '–');
  add(
    t('devFieldZone'),
    device.zone ? t(device.zone === 'special' ? 'devZoneSpecial' : 'devZoneNormal') : '–',
  );
  add(t('devColStatus'), connectionText(device));
  add(t('devColLastSeen'), device.lastSeen ? formatDateTime(device.lastSeen) : t('devNever'));
  add(t('devColState'), stateText(device));
  return list;
}

function refusalsTable(items) {
  return createTable({
    caption: 'devRefusalsCaption',
    columns: [
      { text: 'devColTime', value: (r) => formatDateTime(r.receivedAt) },
      {
        text: 'devColReason',
        value: (r) => (r.description ? (r.description[state.lang] ?? r.description.vi) : r.reason),
      },
      {
        text: 'devColFault',
        value: (r) => (r.fault ? t(r.fault === 'device' ? 'devFaultDevice' : 'devFaultIoc') : ''),
      },
      { text: 'devColTopic', value: (r) => r.topic },
    ],
    rows: items,
  });
}

function historyTable(items) {
  return createTable({
    caption: 'devHistoryCaption',
    columns: [
      { text: 'devColTime', value: (h) => formatDateTime(h.time) },
      {
        text: 'devColChange',
        value: (h) => t(h.lastWill ? 'devLastWill' : h.online ? 'devWentOnline' : 'devWentOffline'),
      },
    ],
    rows: items,
  });
}

export async function renderDetail(container, id) {
  const path = `/api/v1/devices/${encodeURIComponent(id)}`;
  const [device, choices, patchSchema, connection, refusals, history] = await Promise.all([
    api('GET', path),
    loadChoices(),
    bodySchema('patch', '/api/v1/devices/{id}'),
    api('GET', `${path}/connection`),
    api('GET', `/api/v1/dead-letters?deviceId=${encodeURIComponent(id)}&limit=20`),
    api('GET', `${path}/status-history?limit=20`),
  ]);
  const redraw = () => renderDetail(container, id);

  const back = document.createElement('a');
  back.href = '#admin/devices';
  back.textContent = t('devBack');

  const once = document.createElement('div');
  once.className = 'once-box';
  once.setAttribute('role', 'status');
  once.hidden = true;

  const edit = createForm({
    schema: patchSchema,
    fields: ['name', 'lat', 'lon', 'pole', 'zone'],
    values: device,
    labels: {
      name: 'devFieldName',
      lat: 'devFieldLat',
      lon: 'devFieldLon',
      pole: 'devFieldPole',
      zone: 'devFieldZone',
    },
    options: { zone: { special: 'devZoneSpecial', normal: 'devZoneNormal' } },
    async onSubmit(body) {
      // Cleared optional fields go as null, so "no pole" is saved rather than left as it was.
      const saved = await api('PATCH', path, { pole: null, zone: null, ...body });
      // Where unit boundaries exist the unit follows the position: a move it brought is said, not left
      // for the admin to notice in the facts.
      say(
        saved.ward === device.ward
          ? fill('devSaved', id)
          : fill('devSavedMoved', id).replace('{unit}', unitName(choices, saved.city, saved.ward)),
      );
      await redraw();
    },
  });

  const move = createForm({
    schema: patchSchema,
    fields: ['city', 'ward'],
    values: device,
    widgets: placeWidgets(choices),
    submitText: 'devMove',
    async onSubmit(body) {
      const moved = await api('PATCH', path, body);
      say(
        t('devMoved')
          .replace('{id}', id)
          .replace('{unit}', unitName(choices, moved.city, moved.ward)),
      );
      await redraw();
    },
  });

  const actions = document.createElement('div');
  actions.className = 'row-actions';
  actions.append(
    actionButton('devRotate', () =>
      attempt(async () => {
        if (!confirm(fill('devRotateConfirm', id))) return;
        showConnection(once, await api('POST', `${path}/connection`), 4);
        say(fill('devRotated', id));
        once.scrollIntoView?.({ block: 'nearest' });
      }),
    ),
    device.disabledAt
      ? actionButton('devEnable', () =>
          attempt(async () => {
            await api('POST', `${path}/enable`);
            say(fill('devEnabledDone', id));
            await redraw();
          }),
        )
      : actionButton(
          'devDisable',
          () =>
            attempt(async () => {
              if (!confirm(fill('devDisableConfirm', id))) return;
              await api('POST', `${path}/disable`);
              say(fill('devDisabledDone', id));
              await redraw();
            }),
          { danger: true },
        ),
    actionButton(
      'devDelete',
      () =>
        attempt(async () => {
          if (!confirm(fill('devDeleteConfirm', id))) return;
          await api('DELETE', path);
          say(fill('devDeleted', id));
          location.hash = '#admin/devices';
        }),
      { danger: true },
    ),
  );

  const connectionBox = document.createElement('div');
  showConnection(connectionBox, connection, 4);

  container.replaceChildren(
    back,
    heading(2, fill('devDetailTitle', id)),
    section(t('devFacts'), facts(device, choices)),
    section(t('devActions'), actions, once),
    section(t('devEditTitle'), edit.element),
    section(t('devMoveTitle'), move.element),
    section(t('devConnectionTitle'), connectionBox),
    section(t('devRefusalsTitle'), refusalsTable(refusals.items)),
    section(t('devHistoryTitle'), historyTable(history.items)),
  );
}
