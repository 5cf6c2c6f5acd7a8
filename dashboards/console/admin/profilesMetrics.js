// The profile form's metrics: a table of one row per metric (id, names, unit, type, range, counter),
// rows added and removed in place. The request schema maps metric ids to metric objects, which a
// generic form cannot draw; the limits of each cell come from that schema's metric object.
import { t } from '../i18n.js';

const columns = [
  ['id', 'profilesMetricId'],
  ['vi', 'profilesMetricNameVi'],
  ['en', 'profilesMetricNameEn'],
  ['unit', 'profilesMetricUnit'],
  ['type', 'profilesMetricType'],
  ['min', 'profilesMetricMin'],
  ['max', 'profilesMetricMax'],
  ['cumulative', 'profilesMetricCumulative'],
];

function cell(kind, limits) {
  if (kind === 'type') {
    const select = document.createElement('select');
    for (const [value, text] of [
      ['number', 'profilesMetricNumber'],
      ['flag', 'profilesMetricFlag'],
    ]) {
      const o = document.createElement('option');
      o.value = value;
      o.textContent = t(text);
      select.append(o);
    }
    return select;
  }
  const input = document.createElement('input');
  if (kind === 'cumulative') input.type = 'checkbox';
  else if (kind === 'min' || kind === 'max') {
    input.type = 'number';
    input.step = 'any';
  } else {
    input.type = 'text';
    if (limits[kind]) input.maxLength = limits[kind];
  }
  return input;
}

/** The widget for `metrics`: ({id, label, schema, value}) => {element, read}. */
export function metricsWidget({ id, label, schema, value }) {
  const metric = schema.additionalProperties ?? {};
  const limits = {
    id: 64,
    vi: metric.properties?.name?.properties?.vi?.maxLength,
    en: metric.properties?.name?.properties?.en?.maxLength,
    unit: metric.properties?.unit?.maxLength,
  };
  const box = document.createElement('fieldset');
  box.id = id;
  box.className = 'metrics-table';
  const legend = document.createElement('legend');
  legend.textContent = label;
  const table = document.createElement('table');
  table.className = 'admin-table';
  const head = table.createTHead().insertRow();
  for (const [, text] of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = t(text);
    head.append(th);
  }
  head.append(document.createElement('th'));
  const body = table.createTBody();
  const rows = [];

  /** Each control named by its column and the row's number, read aloud as such. */
  function renumber() {
    rows.forEach((row, i) => {
      for (const [kind, text] of columns)
        row.cells[kind].setAttribute(
          'aria-label',
          t('profilesMetricRow')
            .replace('{column}', t(text))
            .replace('{n}', String(i + 1)),
        );
      row.remove.setAttribute('aria-label', t('profilesMetricRemoveNamed').replace('{n}', String(i + 1)));
    });
  }

  function addRow(name = '', m = {}) {
    const tr = body.insertRow();
    const cells = {};
    for (const [kind] of columns) {
      const control = cell(kind, limits);
      cells[kind] = control;
      tr.insertCell().append(control);
    }
    cells.id.value = name;
    cells.id.dataset.metric = 'id';
    cells.vi.value = m.name?.vi ?? '';
    cells.en.value = m.name?.en ?? '';
    cells.unit.value = m.unit ?? '';
    cells.type.value = m.type ?? 'number';
    cells.min.value = m.min ?? '';
    cells.max.value = m.max ?? '';
    cells.cumulative.checked = m.cumulative === true;
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = t('profilesMetricRemove');
    const row = { tr, cells, remove };
    remove.addEventListener('click', () => {
      rows.splice(rows.indexOf(row), 1);
      tr.remove();
      renumber();
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
    tr.insertCell().append(remove);
    rows.push(row);
    renumber();
    return row;
  }

  const add = document.createElement('button');
  add.type = 'button';
  add.textContent = t('profilesMetricAdd');
  add.addEventListener('click', () => addRow().cells.id.focus());
  for (const [name, m] of Object.entries(value ?? {})) addRow(name, m);
  if (rows.length === 0) addRow();
  box.append(legend, table, add);

  const number = (input) => (input.value === '' ? undefined : Number(input.value));
  const read = () => {
    const entries = rows
      .filter((r) => r.cells.id.value.trim() !== '')
      .map(({ cells }) => [
        cells.id.value.trim(),
        {
          name: { vi: cells.vi.value, en: cells.en.value },
          unit: cells.unit.value,
          type: cells.type.value,
          min: number(cells.min),
          max: number(cells.max),
          ...(cells.cumulative.checked ? { cumulative: true } : {}),
        },
      ]);
    return entries.length ? Object.fromEntries(entries) : undefined;
  };
  return { element: box, read };
}
