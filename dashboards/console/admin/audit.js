// The audit log page: who did what, when and where, filtered by person, action, area or unit and time,
// paged newest first (the API's `before` cursor), and the same selection exported as CSV.
import { api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { addStrings, formatDateTime, t } from '../i18n.js';
import { state } from '../state.js';
import { strings } from './audit.strings.js';
import { labelled } from './controls.js';
import { downloadWithToken } from './systemFiles.js';
import { createPager, createTable } from './table.js';
import { loadAreas, unitName } from './usersScope.js';

addStrings(strings);

const pageSize = 50;
const outcomeTexts = { success: 'audSuccess', failure: 'audFailure', denied: 'audDenied' };
const knownActions = ['auth.login', 'auth.logout'];

// Kept while the console is open, so a language switch or a visit to another page finds the same view.
const view = { filter: {}, cursors: [undefined], page: 1 };

function textInput(name, value, maxLength) {
  const input = document.createElement('input');
  input.type = 'text';
  input.name = name;
  input.maxLength = maxLength;
  input.value = value ?? '';
  return input;
}

/** A time typed in the city's clock (datetime-local), as the API's ISO form with the +07:00 offset. */
const cityTime = (local) => (local ? `${local}:00+07:00` : undefined);
const localTime = (iso) => (iso ? iso.slice(0, 16) : '');

function timeInput(name, iso) {
  const input = document.createElement('input');
  input.type = 'datetime-local';
  input.name = name;
  input.value = localTime(iso);
  return input;
}

function query(filter, extra = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filter, ...extra }))
    if (value !== undefined && value !== '') params.set(key, String(value));
  return params.toString();
}

function areaSelect(areas, value) {
  const select = document.createElement('select');
  select.name = 'area';
  const option = (id, text) => {
    const o = document.createElement('option');
    o.value = id;
    o.textContent = text;
    return o;
  };
  select.append(option('', t('audAnyArea')));
  for (const area of areas) {
    const group = document.createElement('optgroup');
    const name = area.name?.[state.lang] ?? area.id;
    group.label = name;
    group.append(option(area.id, name), ...area.units.map((u) => option(u.id, `— ${unitName(u)}`)));
    select.append(group);
  }
  select.value = value ?? '';
  return select;
}

function details(entry) {
  const text = JSON.stringify(entry.details ?? {});
  if (text === '{}') return '';
  const code = document.createElement('code');
  code.className = 'audit-details';
  code.textContent = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return code;
}

export async function render(container) {
  const areas = await loadAreas();
  const heading = document.createElement('h2');
  heading.textContent = t('audTitle');
  const intro = document.createElement('p');
  intro.className = 'admin-intro';
  intro.textContent = t('audIntro');

  const form = document.createElement('form');
  form.className = 'admin-form audit-filters';
  form.setAttribute('aria-label', t('audFilters'));
  const f = view.filter;
  const actor = textInput('actor', f.actor, 64);
  const action = textInput('action', f.action, 200);
  const actions = document.createElement('datalist');
  actions.id = 'audit-actions';
  action.setAttribute('list', actions.id);
  const area = areaSelect(areas, f.area);
  const from = timeInput('from', f.from);
  const to = timeInput('to', f.to);
  const apply = document.createElement('button');
  apply.type = 'submit';
  apply.textContent = t('audApply');
  const clear = document.createElement('button');
  clear.type = 'button';
  clear.textContent = t('audClear');
  const exportButton = document.createElement('button');
  exportButton.type = 'button';
  exportButton.textContent = t('audExport');
  const buttons = document.createElement('div');
  buttons.className = 'form-actions';
  buttons.append(apply, clear, exportButton);
  const fields = document.createElement('div');
  fields.className = 'fields';
  fields.append(
    labelled('audit-actor', t('audActor'), actor),
    labelled('audit-action', t('audAction'), action),
    labelled('audit-area', t('audArea'), area),
    labelled('audit-from', t('audFrom'), from),
    labelled('audit-to', t('audTo'), to),
  );
  form.append(fields, actions, buttons);

  const results = document.createElement('div');
  results.id = 'audit-results';
  results.setAttribute('aria-live', 'polite');

  async function show() {
    const data = await api(
      'GET',
      `/api/v1/audit?${query(view.filter, { limit: pageSize, before: view.cursors[view.page - 1] })}`,
    );
    view.cursors[view.page] = data.nextBefore ?? undefined;
    const seen = new Set([...knownActions, ...data.items.map((e) => e.action)]);
    actions.replaceChildren(
      ...[...seen].map((a) => {
        const o = document.createElement('option');
        o.value = a;
        return o;
      }),
    );
    results.replaceChildren(
      createTable({
        caption: 'audCaption',
        columns: [
          { text: 'audColAt', value: (e) => formatDateTime(e.at) },
          {
            text: 'audColActor',
            value: (e) => (e.actor ? `${e.actor}${e.actorRole ? ` (${e.actorRole})` : ''}` : t('audNobody')),
          },
          { text: 'audColAction', value: (e) => e.action },
          { text: 'audColTarget', value: (e) => e.target ?? '' },
          {
            text: 'audColOutcome',
            value: (e) => `${t(outcomeTexts[e.outcome] ?? e.outcome)}${e.status ? ` (${e.status})` : ''}`,
          },
          { text: 'audColIp', value: (e) => e.ip },
          { text: 'audColDetails', value: details },
        ],
        rows: data.items,
      }),
      createPager({
        page: view.page,
        hasMore: data.nextBefore !== null,
        onPage: (page) => {
          view.page = page;
          void attempt(show);
        },
      }),
    );
  }

  const readFilter = () => ({
    actor: actor.value.trim() || undefined,
    action: action.value.trim() || undefined,
    area: area.value || undefined,
    from: cityTime(from.value),
    to: cityTime(to.value),
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    view.filter = readFilter();
    view.cursors = [undefined];
    view.page = 1;
    void attempt(show);
  });
  clear.addEventListener('click', () => {
    form.reset();
    for (const input of [actor, action, from, to]) input.value = '';
    area.value = '';
    view.filter = {};
    view.cursors = [undefined];
    view.page = 1;
    void attempt(show);
  });
  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    try {
      const done = await attempt(() =>
        downloadWithToken(`/api/v1/audit/export?${query(readFilter())}`, 'audit-log.csv'),
      );
      if (done) say(t('audExported'));
    } finally {
      exportButton.disabled = false;
    }
  });

  await show();
  container.replaceChildren(heading, intro, form, results);
}
