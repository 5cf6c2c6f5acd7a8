// A fleet from a CSV file: checked row by row on the server (POST /api/v1/devices/import), all rows or
// none. A refused file shows each refused row with its line number, column and reason in the reader's
// language; an imported one downloads the one-time secrets at once. The registry goes out the same way
// (GET /api/v1/devices/export), filtered like the list.
import { ApiError, api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { errorText, formatNumber, t } from '../i18n.js';
import { state } from '../state.js';
import { actionButton, createTable, download } from './table.js';

/** The reader's half of a "Vietnamese / English" message. */
export function half(message) {
  const at = message.indexOf(' / ');
  if (at < 0) return message;
  return state.lang === 'vi' ? message.slice(0, at) : message.slice(at + 3);
}

const count = (key, n) => t(key).replace('{n}', formatNumber(n, 0));

function problemsTable(problems) {
  return createTable({
    caption: 'devImportProblems',
    columns: [
      { text: 'devColLine', value: (p) => String(p.line) },
      { text: 'devColField', value: (p) => p.field || t('devWholeRow') },
      { text: 'devColProblem', value: (p) => half(p.message) },
    ],
    rows: problems,
  });
}

const secretColumns = ['id', 'kind', 'city', 'username', 'secret', 'topicPrefix'];
const csvCell = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));

/** The import and export controls; `filters()` gives the list's current query for the export. */
export function importSection(filters, onImported) {
  const section = document.createElement('section');
  section.className = 'dev-import';
  const heading = document.createElement('h3');
  heading.textContent = t('devImportTitle');
  const help = document.createElement('p');
  help.textContent = t('devImportHelp');
  const label = document.createElement('label');
  label.htmlFor = 'dev-import-file';
  label.textContent = t('devImportFile');
  const file = document.createElement('input');
  file.type = 'file';
  file.id = 'dev-import-file';
  file.accept = '.csv,text/csv';
  const result = document.createElement('div');
  result.className = 'dev-import-result';
  result.setAttribute('aria-live', 'polite');

  const message = (text, kind) => {
    const p = document.createElement('p');
    p.textContent = text;
    if (kind === 'error') p.className = 'error';
    return p;
  };

  async function send(dryRun) {
    const chosen = file.files?.[0];
    if (!chosen) return result.replaceChildren(message(t('devImportNoFile'), 'error'));
    const csv = await chosen.text();
    try {
      const answer = await api('POST', `/api/v1/devices/import?dryRun=${dryRun}`, { csv });
      if (dryRun) {
        result.replaceChildren(
          answer.valid
            ? message(count('devImportValid', answer.rows))
            : message(count('devImportRefused', new Set(answer.problems.map((p) => p.line)).size), 'error'),
          ...(answer.valid ? [] : [problemsTable(answer.problems)]),
        );
        return;
      }
      const lines = answer.credentials.map((c) => secretColumns.map((k) => csvCell(c[k])).join(','));
      const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
      download(
        `device-credentials-${stamp}.csv`,
        `${[secretColumns.join(','), ...lines].join('\n')}\n`,
        'text/csv',
      );
      result.replaceChildren(message(count('devImportDone', answer.created)));
      say(count('devImportDone', answer.created));
      await onImported();
    } catch (error) {
      const problems = error instanceof ApiError ? error.details?.problems : undefined;
      if (problems?.length) {
        const lines = new Set(problems.map((p) => p.line)).size;
        result.replaceChildren(message(count('devImportRefused', lines), 'error'), problemsTable(problems));
      } else {
        result.replaceChildren(
          message(
            error?.message ? `${errorText(error)} (${half(error.message)})` : errorText(error),
            'error',
          ),
        );
      }
    }
  }

  const actions = document.createElement('div');
  actions.className = 'row-actions';
  actions.append(
    actionButton('devImportCheck', () => send(true)),
    actionButton('devImportRun', () => send(false)),
    actionButton('devExport', () =>
      attempt(async () => {
        const query = new URLSearchParams(
          Object.entries(filters()).filter(([k, v]) => v && ['city', 'ward', 'kind', 'status'].includes(k)),
        );
        const res = await fetch(`/api/v1/devices/export?${query}`, {
          headers: { authorization: `Bearer ${state.token}` },
        });
        if (!res.ok) {
          const data = await res.json().catch(() => null);
          throw new ApiError(res.status, data?.error?.code ?? 'HTTP', data?.error?.message ?? res.statusText);
        }
        download('devices.csv', await res.blob());
        say(t('devExported'));
      }),
    ),
  );
  section.append(heading, help, label, file, actions, result);
  return section;
}
