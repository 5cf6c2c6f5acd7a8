// The devices page: the city's registry searched and filtered (id or name, area, unit, profile,
// connection, enabled or disabled) and paged through the API, however large; one device registered from
// the API's own request schema with its one-time connection details (file and QR code); a fleet
// imported from CSV or exported. A device's own page (#admin/devices/<id>) is deviceDetail.js.
import { api } from '../api.js';
import { say } from '../feedback.js';
import { addStrings, formatDateTime, formatNumber, t } from '../i18n.js';
import { labelled, option } from './controls.js';
import { connectionText, renderDetail, stateText } from './deviceDetail.js';
import { strings } from './devices.strings.js';
import { showConnection } from './devicesCredentials.js';
import { importSection } from './devicesImport.js';
import {
  areaName,
  fillUnits,
  loadChoices,
  placeWidgets,
  profileName,
  profileWidget,
  unitName,
} from './devicesPlaces.js';
import { createForm } from './form.js';
import { bodySchema } from './schemas.js';
import { createPager, createTable } from './table.js';

addStrings(strings);

const pageSize = 50;
// Kept across redraws (a language switch, coming back from a device) so the admin finds their place.
let filters = { q: '', city: '', ward: '', kind: '', status: '', disabled: '' };
let page = 1;

function heading(level, key) {
  const h = document.createElement(`h${level}`);
  h.textContent = t(key);
  return h;
}

function select(name, choices) {
  const s = document.createElement('select');
  s.name = name;
  s.append(option('', t('devAll')), ...choices.map(([value, text]) => option(value, text)));
  return s;
}

/** The filter bar: a search box and selects; submitting (or Enter) reads page 1 again. */
function filterForm(choices, onApply) {
  const form = document.createElement('form');
  form.className = 'admin-form dev-filters';
  form.setAttribute('role', 'search');
  form.setAttribute('aria-label', t('devFilters'));
  const q = document.createElement('input');
  q.type = 'search';
  q.name = 'q';
  q.maxLength = 64;
  const area = select(
    'city',
    choices.areas.map((a) => [a.id, areaName(choices, a.id)]),
  );
  const unit = select('ward', []);
  area.addEventListener('change', () => fillUnits(unit, choices, area.value, 'devAll'));
  const kind = select(
    'kind',
    choices.profiles.map((p) => [p.id, profileName(choices, p.id)]),
  );
  const status = select('status', [
    ['online', t('devOnline')],
    ['offline', t('devOffline')],
    ['unknown', t('devUnknown')],
  ]);
  const disabled = select('disabled', [
    ['false', t('devEnabled')],
    ['true', t('devDisabled')],
  ]);
  const fields = document.createElement('div');
  fields.className = 'fields';
  fields.append(
    labelled('dev-f-q', t('devSearch'), q),
    labelled('dev-f-city', t('devArea'), area),
    labelled('dev-f-ward', t('devUnit'), unit),
    labelled('dev-f-kind', t('devProfile'), kind),
    labelled('dev-f-status', t('devStatus'), status),
    labelled('dev-f-disabled', t('devEnabledState'), disabled),
  );
  const apply = document.createElement('button');
  apply.type = 'submit';
  apply.textContent = t('devApply');
  const clear = document.createElement('button');
  clear.type = 'button';
  clear.textContent = t('devClear');
  const actions = document.createElement('div');
  actions.className = 'form-actions';
  actions.append(apply, clear);
  form.append(fields, actions);
  // The kept filters back into the controls.
  q.value = filters.q;
  area.value = filters.city;
  fillUnits(unit, choices, area.value, 'devAll');
  unit.value = filters.ward;
  kind.value = filters.kind;
  status.value = filters.status;
  disabled.value = filters.disabled;
  const controls = { q, city: area, ward: unit, kind, status, disabled };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filters = Object.fromEntries(Object.entries(controls).map(([k, c]) => [k, c.value.trim()]));
    page = 1;
    onApply();
  });
  clear.addEventListener('click', () => {
    for (const c of Object.values(controls)) c.value = '';
    fillUnits(unit, choices, '', 'devAll');
    filters = { q: '', city: '', ward: '', kind: '', status: '', disabled: '' };
    page = 1;
    onApply();
  });
  return form;
}

function openLink(d) {
  const a = document.createElement('a');
  a.href = `#admin/devices/${encodeURIComponent(d.id)}`;
  a.textContent = d.id;
  a.setAttribute('aria-label', t('devOpenLabel').replace('{id}', d.id));
  return a;
}

async function listView(container) {
  const [choices, schema] = await Promise.all([loadChoices(), bodySchema('post', '/api/v1/devices')]);
  const count = document.createElement('p');
  count.className = 'dev-count';
  count.setAttribute('aria-live', 'polite');
  const tableBox = document.createElement('div');

  async function redraw() {
    const query = new URLSearchParams({ limit: String(pageSize), offset: String((page - 1) * pageSize) });
    for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
    const { items, total } = await api('GET', `/api/v1/devices?${query}`);
    count.textContent = t('devCount').replace('{n}', formatNumber(total, 0));
    const pages = Math.max(1, Math.ceil(total / pageSize));
    tableBox.replaceChildren(
      createTable({
        caption: 'devListCaption',
        columns: [
          { text: 'devColId', value: openLink },
          { text: 'devColName', value: (d) => d.name },
          { text: 'devColProfile', value: (d) => profileName(choices, d.kind) },
          {
            text: 'devColPlace',
            value: (d) => `${areaName(choices, d.city)} / ${unitName(choices, d.city, d.ward)}`,
          },
          { text: 'devColStatus', value: connectionText },
          { text: 'devColLastSeen', value: (d) => (d.lastSeen ? formatDateTime(d.lastSeen) : t('devNever')) },
          { text: 'devColState', value: stateText },
        ],
        rows: items,
      }),
      createPager({
        page,
        total: pages,
        hasMore: page < pages,
        onPage: async (n) => {
          page = n;
          await redraw();
        },
      }),
    );
  }

  const once = document.createElement('div');
  once.className = 'once-box';
  once.setAttribute('role', 'status');
  once.hidden = true;
  const form = createForm({
    schema,
    fields: ['id', 'name', 'kind', 'city', 'ward', 'lat', 'lon', 'pole', 'zone'],
    labels: {
      id: 'devFieldId',
      name: 'devFieldName',
      lat: 'devFieldLat',
      lon: 'devFieldLon',
      pole: 'devFieldPole',
      zone: 'devFieldZone',
    },
    options: { zone: { special: 'devZoneSpecial', normal: 'devZoneNormal' } },
    widgets: { ...placeWidgets(choices), kind: profileWidget(choices) },
    submitText: 'devCreate',
    async onSubmit(body) {
      const created = await api('POST', '/api/v1/devices', body);
      const id = created.device.id;
      // The connection answer carries the host, ports and QR code with a secret in it; the secret of
      // the registration answer is replaced at once, so the one the installer gets is the one in the QR.
      const connection = await api('POST', `/api/v1/devices/${encodeURIComponent(id)}/connection`);
      showConnection(once, connection);
      say(t('devCreated').replace('{id}', id));
      form.element.reset();
      await redraw();
      once.scrollIntoView?.({ block: 'nearest' });
    },
  });

  const create = document.createElement('details');
  create.className = 'dev-create';
  const summary = document.createElement('summary');
  summary.textContent = t('devCreateTitle');
  create.append(summary, form.element);

  container.replaceChildren(
    heading(2, 'devTitle'),
    filterForm(choices, () => void redraw()),
    count,
    tableBox,
    create,
    once,
    importSection(() => filters, redraw),
  );
  await redraw();
}

export async function render(container, { rest }) {
  if (rest) return renderDetail(container, rest);
  return listView(container);
}
