// Signs that go with colour, so colour is never the only signal: one per severity and per kind, as
// inline SVG drawn from signs.svg in the text's colour. Emoji and symbol characters were empty boxes
// on a machine without an emoji font (a control room PC, headless Chromium); these draw everywhere.
import { escapeHtml } from './html.js';
import { t } from './i18n.js';
import { state } from './state.js';

const sprite = '/console/signs.svg';
const severities = ['critical', 'warning', 'info'];
const kinds = ['fire', 'environment', 'noise', 'streetlight', 'waste', 'camera'];

/** Whether a marker's look (critical, warning, info, offline, ok) is an alert, with a sign of its own. */
export const isSeverity = (look) => severities.includes(look);

/** A kind's name in the reader's language, from the catalogue. */
export function kindName(kind) {
  return state.catalog?.kinds.find((k) => k.kind === kind)?.name[state.lang] ?? kind;
}

/** A sign's markup: named for screen readers when `label` is given, else hidden from them. */
function sign(id, label) {
  const name = label ? `role="img" aria-label="${escapeHtml(label)}"` : 'aria-hidden="true"';
  return `<svg class="sign sign-${id}" ${name} focusable="false"><use href="${sprite}#${id}"></use></svg>`;
}

/**
 * A severity's sign (octagon, triangle, circle), or '' for anything else. `labelled`: where no word
 * stands beside it, it carries the severity's word for screen readers.
 */
export function severitySign(severity, { labelled = false } = {}) {
  return isSeverity(severity) ? sign(severity, labelled ? t(severity) : undefined) : '';
}

/** A kind's sign, or '' for a kind without one; `labelled` as for severitySign, with the kind's name. */
export function kindSign(kind, { labelled = false } = {}) {
  return kinds.includes(kind) ? sign(kind, labelled ? kindName(kind) : undefined) : '';
}
