// Alert rules for admins: the list (turn a rule on or off in place), and one form per rule type drawn
// from the API's own request schema (a select of the types, then that type's fields), with the scope
// chosen from what exists and a dry run over the last 24 hours before saving.
// #admin/rules lists, #admin/rules/new and #admin/rules/<id> open the form.
import { ApiError, api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { addStrings, t } from '../i18n.js';
import { nameIn } from './controls.js';
import { createForm } from './form.js';
import { strings } from './rules.strings.js';
import { dryRunRequest, runDryRun } from './rulesDryRun.js';
import { ruleWidgets } from './rulesWidgets.js';
import { bodySchema } from './schemas.js';
import { actionButton, createTable } from './table.js';

addStrings(strings);

const typeText = {
  threshold: 'rulesTypeThreshold',
  rate_of_rise: 'rulesTypeRateOfRise',
  offline: 'rulesTypeOffline',
  last_will: 'rulesTypeLastWill',
  event: 'rulesTypeEvent',
  aqi: 'rulesTypeAqi',
  streetlight_dark: 'rulesTypeStreetlightDark',
  system: 'rulesTypeSystem',
};
const severityText = {
  // The console's own words for the severities, so the rules speak as the alerts do.
  info: 'info',
  warning: 'warning',
  critical: 'critical',
};
const labels = {
  name: 'rulesFieldName',
  type: 'rulesFieldType',
  severity: 'rulesFieldSeverity',
  enabled: 'rulesFieldEnabled',
  metric: 'rulesFieldMetric',
  comparison: 'rulesFieldComparison',
  threshold: 'rulesFieldThreshold',
  clearValue: 'rulesFieldClearValue',
  forS: 'rulesFieldForS',
  params: 'rulesFieldParams',
  limit: 'rulesFieldLimit',
  clearBelowDb: 'rulesFieldClearBelowDb',
  rise: 'rulesFieldRise',
  windowS: 'rulesFieldWindowS',
  intervals: 'rulesFieldIntervals',
  minutes: 'rulesFieldMinutes',
  eventType: 'rulesFieldEventType',
  minBand: 'rulesFieldMinBand',
  minAqi: 'rulesFieldMinAqi',
  minPowerW: 'rulesFieldMinPowerW',
  check: 'rulesFieldCheck',
  kind: 'rulesFieldKind',
  city: 'rulesFieldCity',
  ward: 'rulesFieldWard',
  zone: 'rulesFieldZone',
  deviceId: 'rulesFieldDeviceId',
  deviceIds: 'rulesFieldDeviceIds',
  windowStart: 'rulesFieldWindowStart',
  windowEnd: 'rulesFieldWindowEnd',
  days: 'rulesFieldDays',
  messageVi: 'rulesFieldMessageVi',
  messageEn: 'rulesFieldMessageEn',
  instructions: 'rulesFieldInstructions',
  vi: 'rulesFieldInstructionsVi',
  en: 'rulesFieldInstructionsEn',
  sourceRef: 'rulesFieldSourceRef',
};
const options = {
  type: typeText,
  severity: severityText,
  comparison: {
    '>': 'rulesCompareGt',
    '>=': 'rulesCompareGe',
    '<': 'rulesCompareLt',
    '<=': 'rulesCompareLe',
    '=': 'rulesCompareEq',
  },
  zone: { special: 'rulesZoneSpecial', normal: 'rulesZoneNormal' },
  limit: { qcvn26: 'rulesLimitQcvn26' },
  check: { backup: 'rulesCheckBackup' },
  days: {
    sun: 'rulesDaySun',
    mon: 'rulesDayMon',
    tue: 'rulesDayTue',
    wed: 'rulesDayWed',
    thu: 'rulesDayThu',
    fri: 'rulesDayFri',
    sat: 'rulesDaySat',
  },
};
// The order a person fills a rule in: what, when it fires, where, when it applies, what it says. The
// stable key of a shipped default is never edited.
const fields = [
  'name',
  'severity',
  'enabled',
  'metric',
  'comparison',
  'threshold',
  'clearValue',
  'forS',
  'params',
  'kind',
  'city',
  'ward',
  'zone',
  'deviceId',
  'deviceIds',
  'windowStart',
  'windowEnd',
  'days',
  'messageVi',
  'messageEn',
  'instructions',
  'sourceRef',
];

/** A stored rule as the form's values: its type's fields, unset ones left out. */
function formValues(rule) {
  const { id, key, ...rest } = rule;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
}

async function places() {
  const [profiles, areas, units] = await Promise.all([
    api('GET', '/api/v1/profiles'),
    api('GET', '/api/v1/places/areas'),
    api('GET', '/api/v1/places/units'),
  ]);
  return { profiles: profiles.items, areas: areas.items, units: units.items };
}

function scopeText(rule, lists) {
  const area = (id) => nameIn(lists.areas.find((a) => a.id === id)?.name) || id;
  const unit = (id) => {
    const u = lists.units.find((x) => x.id === id);
    return (u && (nameIn(u.fullName) || u.name)) || id;
  };
  const profile = (id) => nameIn(lists.profiles.find((p) => p.id === id)?.name) || id;
  const parts = [];
  if (rule.kind) parts.push(t('rulesScopeProfile').replace('{value}', profile(rule.kind)));
  if (rule.city) parts.push(t('rulesScopeArea').replace('{value}', area(rule.city)));
  if (rule.ward) parts.push(t('rulesScopeUnit').replace('{value}', unit(rule.ward)));
  if (rule.zone) parts.push(t('rulesScopeZone').replace('{value}', t(options.zone[rule.zone])));
  if (rule.deviceId) parts.push(t('rulesScopeDevice').replace('{value}', rule.deviceId));
  if (rule.deviceIds) parts.push(t('rulesScopeDevices').replace('{n}', rule.deviceIds.length));
  return parts.length ? parts.join(', ') : t('rulesScopeAll');
}

/** The type in a word for the list (the form's select says more). */
function listType(rule) {
  if (rule.type !== 'threshold') return t(typeText[rule.type] ?? rule.type);
  return t(rule.params?.limit ? 'rulesListQcvn26' : 'rulesListThreshold');
}

function heading(text) {
  const h = document.createElement('h2');
  h.textContent = text;
  return h;
}

function enabledSwitch(rule) {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.checked = rule.enabled;
  box.setAttribute('aria-label', t('rulesEnabledNamed').replace('{name}', rule.name));
  box.addEventListener('change', async () => {
    const wanted = box.checked;
    box.disabled = true;
    const saved = await attempt(() => api('PATCH', `/api/v1/rules/${rule.id}`, { enabled: wanted }));
    box.disabled = false;
    if (saved) {
      rule.enabled = saved.enabled;
      say(t(wanted ? 'rulesTurnedOn' : 'rulesTurnedOff').replace('{name}', rule.name));
    } else box.checked = !wanted;
  });
  return box;
}

async function renderList(container) {
  const [rules, lists] = await Promise.all([api('GET', '/api/v1/rules'), places()]);
  const add = actionButton('rulesAdd', async () => {
    location.hash = '#admin/rules/new';
  });
  const intro = document.createElement('p');
  intro.textContent = t('rulesIntro');
  const actions = (rule) => {
    const box = document.createElement('div');
    box.className = 'row-actions';
    box.append(
      actionButton(
        'rulesEdit',
        async () => {
          location.hash = `#admin/rules/${rule.id}`;
        },
        { label: t('rulesEditNamed').replace('{name}', rule.name) },
      ),
      actionButton(
        'rulesDelete',
        async () => {
          if (!window.confirm(t('rulesDeleteConfirm').replace('{name}', rule.name))) return;
          const done = await attempt(async () => {
            await api('DELETE', `/api/v1/rules/${rule.id}`);
            return true;
          });
          if (done) {
            say(t('rulesDeleted'));
            await renderList(container);
          }
        },
        { danger: true, label: t('rulesDeleteNamed').replace('{name}', rule.name) },
      ),
    );
    return box;
  };
  const table = createTable({
    caption: 'rulesCaption',
    columns: [
      { text: 'rulesColName', value: (r) => r.name },
      { text: 'rulesColType', value: listType },
      { text: 'rulesColScope', value: (r) => scopeText(r, lists) },
      { text: 'rulesColSeverity', value: (r) => t(severityText[r.severity]) },
      { text: 'rulesColEnabled', value: enabledSwitch },
      { text: 'rulesColActions', value: actions },
    ],
    rows: rules.items,
  });
  table.id = 'rules-table';
  container.replaceChildren(heading(t('rulesTitle')), intro, add, table);
}

async function renderEditor(container, id) {
  const [schema, lists, rule] = await Promise.all([
    bodySchema('post', '/api/v1/rules'),
    places(),
    id > 0
      ? api('GET', `/api/v1/rules/${id}`).catch((e) =>
          e instanceof ApiError && e.status === 404 ? null : Promise.reject(e),
        )
      : null,
  ]);
  const back = document.createElement('a');
  back.href = '#admin/rules';
  back.textContent = t('rulesBack');
  if (id && !rule) {
    const missing = document.createElement('p');
    missing.className = 'error';
    missing.textContent = t('rulesNotFound');
    container.replaceChildren(heading(t('rulesTitle')), missing, back);
    return;
  }
  const saved = rule ? formValues(rule) : null;
  const result = document.createElement('section');
  result.className = 'dry-run';
  result.id = 'rule-dry-run';
  result.setAttribute('aria-live', 'polite');
  const dryButton = document.createElement('button');
  dryButton.type = 'button';
  dryButton.id = 'rule-dry-run-button';
  dryButton.textContent = t('rulesDryRun');
  const form = createForm({
    schema,
    values: saved ?? { type: 'threshold', severity: 'warning', enabled: true },
    fields,
    labels,
    options,
    widgets: ruleWidgets(lists),
    submitText: rule ? 'save' : 'rulesCreate',
    extraActions: [dryButton],
    onSubmit: async (body) => {
      if (rule) await api('PUT', `/api/v1/rules/${rule.id}`, body);
      else await api('POST', '/api/v1/rules', body);
      say(t('rulesSaved'));
      location.hash = '#admin/rules';
    },
  });
  form.element.classList.add('rule-form');
  dryButton.addEventListener('click', async () => {
    if (!form.check()) return;
    const body = form.read();
    const names = Object.keys(form.element.schema?.properties ?? {});
    dryButton.disabled = true;
    try {
      await runDryRun(result, dryRunRequest(body, saved, rule?.id, names));
    } catch (error) {
      if (error instanceof ApiError) form.showErrors(error);
      else say(String(error?.message ?? error), 'error');
    } finally {
      dryButton.disabled = false;
    }
  });
  const title = rule ? t('rulesEditTitle').replace('{name}', rule.name) : t('rulesNewTitle');
  // The answer stands beside the form (sticky), so the effect of a change is read without scrolling.
  const editor = document.createElement('div');
  editor.className = 'rule-editor';
  editor.append(form.element, result);
  container.replaceChildren(heading(title), back, editor);
}

export async function render(container, { rest }) {
  if (!rest) return renderList(container);
  if (rest === 'new') return renderEditor(container, null);
  const id = Number(rest);
  return renderEditor(container, Number.isInteger(id) && id > 0 ? id : -1);
}
