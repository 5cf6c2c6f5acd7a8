// "What would this rule have done": the form as written, replayed by the API over the last 24 hours of
// stored readings, before anything is saved. A saved rule is tried with the fields that changed; when a
// field was emptied (a change cannot unset a field) the whole form is tried as an unsaved rule instead.
import { api } from '../api.js';
import { formatDateTime, formatNumber, t } from '../i18n.js';
import { createTable } from './table.js';

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** An empty params object or list is as good as none: the form reads it back as absent. */
const isSet = (value) =>
  value !== undefined && !(typeof value === 'object' && value !== null && Object.keys(value).length === 0);

/**
 * The call for this form: path, body, and whether it tries something not saved. `saved` is the stored
 * rule's form values, or null for a new rule; `fieldNames` are the fields of the type shown.
 */
export function dryRunRequest(body, saved, savedId, fieldNames) {
  if (!saved) return { path: '/api/v1/rules/dry-run', body, unsaved: true };
  const emptied = fieldNames.some((f) => isSet(saved[f]) && !isSet(body[f]));
  if (emptied) return { path: '/api/v1/rules/dry-run', body, unsaved: true };
  const changes = Object.fromEntries(Object.entries(body).filter(([k, v]) => !same(v, saved[k])));
  return {
    path: `/api/v1/rules/${savedId}/dry-run`,
    body: changes,
    unsaved: Object.keys(changes).length > 0,
  };
}

const stopText = {
  readings: 'rulesDryRunStopReadings',
  timeout: 'rulesDryRunStopTimeout',
  cancelled: 'rulesDryRunStopCancelled',
};

function paragraph(text, className) {
  const p = document.createElement('p');
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

/** Draws an answer of the dry-run routes into `box`. */
export function showDryRun(box, result, unsaved) {
  const heading = document.createElement('h3');
  heading.textContent = t('rulesDryRunTitle');
  const count = paragraph(
    t('rulesDryRunCount').replace('{alerts}', formatNumber(result.alerts, 0)),
    'dry-run-count',
  );
  const scope = paragraph(
    t('rulesDryRunScope')
      .replace('{devices}', formatNumber(result.devices, 0))
      .replace('{readings}', formatNumber(result.readings, 0))
      .replace('{from}', formatDateTime(result.from))
      .replace('{to}', formatDateTime(result.to)),
  );
  const parts = [heading, count, scope];
  if (!result.complete)
    parts.push(
      paragraph(
        t('rulesDryRunPartial').replace(
          '{reason}',
          t(stopText[result.stoppedBy] ?? 'rulesDryRunStopTimeout'),
        ),
        'error',
      ),
    );
  if (unsaved) parts.push(paragraph(t('rulesDryRunUnsaved')));
  const rows = result.items.filter((d) => d.alerts > 0);
  if (rows.length)
    parts.push(
      createTable({
        caption: 'rulesDryRunCaption',
        columns: [
          { text: 'rulesDryRunDevice', value: (d) => `${d.name} (${d.deviceId})` },
          { text: 'rulesDryRunAlerts', value: (d) => d.alerts, numeric: true },
          {
            text: 'rulesDryRunTimes',
            value: (d) => {
              const list = document.createElement('ul');
              for (const e of d.episodes) {
                const li = document.createElement('li');
                const value = e.value === null ? '' : ` (${formatNumber(e.value, 2)})`;
                const cleared = e.clearedAt ? formatDateTime(e.clearedAt) : t('rulesDryRunStillOpen');
                li.textContent = `${formatDateTime(e.openedAt)}${value} – ${cleared}`;
                list.append(li);
              }
              return list;
            },
          },
        ],
        rows,
      }),
    );
  box.replaceChildren(...parts);
}

/** Runs the dry run and shows it; a refusal is thrown for the form to show next to its fields. */
export async function runDryRun(box, request) {
  box.replaceChildren(paragraph(t('rulesDryRunBusy')));
  box.setAttribute('aria-busy', 'true');
  try {
    const result = await api('POST', `${request.path}?hours=24`, request.body);
    showDryRun(box, result, request.unsaved);
    return result;
  } catch (error) {
    box.replaceChildren();
    throw error;
  } finally {
    box.removeAttribute('aria-busy');
  }
}
