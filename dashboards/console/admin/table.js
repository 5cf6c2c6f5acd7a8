// Tables and paging for the admin pages: a caption, header cells, one row per item, and a pager that
// moves through a list the API pages (limit and offset, or a cursor the page keeps).
import { formatDateTime, formatNumber, t } from '../i18n.js';

/** A cell's content: a Node as it is, a number or a date in the reader's format, anything else as text. */
function fill(cell, content) {
  if (content instanceof Node) cell.append(content);
  else if (typeof content === 'number') cell.textContent = formatNumber(content, 2);
  else if (content instanceof Date) cell.textContent = formatDateTime(content.toISOString());
  else cell.textContent = content ?? '';
}

/** columns: [{ text: textKey, value: (row) => content, numeric?: true }]. */
export function createTable({ caption, columns, rows, empty = 'adminEmpty' }) {
  const table = document.createElement('table');
  table.className = 'admin-table';
  const cap = document.createElement('caption');
  cap.textContent = t(caption);
  const head = table.createTHead().insertRow();
  for (const column of columns) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = column.text ? t(column.text) : '';
    head.append(th);
  }
  table.append(cap);
  const body = table.createTBody();
  if (rows.length === 0) {
    const cell = body.insertRow().insertCell();
    cell.colSpan = columns.length;
    cell.textContent = t(empty);
  }
  for (const row of rows) {
    const tr = body.insertRow();
    for (const column of columns) {
      const cell = tr.insertCell();
      if (column.numeric) cell.className = 'numeric';
      fill(cell, column.value(row));
    }
  }
  return table;
}

/** Previous/next for a paged list; page counts from 1. */
export function createPager({ page, hasMore, onPage, total }) {
  const nav = document.createElement('nav');
  nav.className = 'pager';
  nav.setAttribute('aria-label', t('adminPaging'));
  const prev = document.createElement('button');
  prev.type = 'button';
  prev.textContent = t('adminPrevious');
  prev.disabled = page <= 1;
  prev.addEventListener('click', () => onPage(page - 1));
  const next = document.createElement('button');
  next.type = 'button';
  next.textContent = t('adminNext');
  next.disabled = !hasMore;
  next.addEventListener('click', () => onPage(page + 1));
  const where = document.createElement('span');
  where.textContent =
    total === undefined
      ? t('adminPage').replace('{page}', formatNumber(page, 0))
      : t('adminPageOf').replace('{page}', formatNumber(page, 0)).replace('{total}', formatNumber(total, 0));
  nav.append(prev, where, next);
  return nav;
}

/** A button that runs an action; the page passes its own attempt() so failures are explained. */
export function actionButton(textKey, action, { danger = false, label } = {}) {
  const button = document.createElement('button');
  button.type = 'button';
  button.textContent = t(textKey);
  if (label) button.setAttribute('aria-label', label);
  if (danger) button.className = 'danger';
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await action();
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

/** Saves text or bytes the page already holds as a file the browser downloads. */
export function download(name, content, type = 'text/plain;charset=utf-8') {
  const url = URL.createObjectURL(content instanceof Blob ? content : new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
