// Device profiles for admins: the list, a form drawn from the API's own request schema (the metrics as
// a table), and beside it the telemetry message a device of the profile must send, as the API builds
// it. #admin/profiles lists, #admin/profiles/new and #admin/profiles/<id> open the form.
import { ApiError, api } from '../api.js';
import { say } from '../feedback.js';
import { addStrings, errorText, formatNumber, t } from '../i18n.js';
import { state } from '../state.js';
import { nameIn } from './controls.js';
import { createForm } from './form.js';
import { strings } from './profiles.strings.js';
import { metricsWidget } from './profilesMetrics.js';
import { createPreview } from './profilesPreview.js';
import { bodySchema } from './schemas.js';
import { actionButton, createTable } from './table.js';

addStrings(strings);

const labels = {
  id: 'profilesFieldId',
  name: 'profilesFieldName',
  description: 'profilesFieldDescription',
  vi: 'profilesFieldVi',
  en: 'profilesFieldEn',
  reportingIntervalS: 'profilesFieldInterval',
  metrics: 'profilesFieldMetrics',
  primaryMetrics: 'profilesFieldPrimary',
  ngsiLdType: 'profilesFieldNgsi',
};
const fields = ['id', 'name', 'description', 'reportingIntervalS', 'metrics', 'primaryMetrics', 'ngsiLdType'];

/** A refusal in the reader's language: the API's own bilingual text when it gives one. */
const refusalText = (error) => error?.details?.[state.lang] ?? errorText(error);

function heading(text) {
  const h = document.createElement('h2');
  h.textContent = text;
  return h;
}

async function renderList(container) {
  const { items } = await api('GET', '/api/v1/profiles');
  const intro = document.createElement('p');
  intro.textContent = t('profilesIntro');
  const add = actionButton('profilesAdd', async () => {
    location.hash = '#admin/profiles/new';
  });
  const actions = (p) => {
    const box = document.createElement('div');
    box.className = 'row-actions';
    const name = nameIn(p.name);
    box.append(
      actionButton(
        'profilesEdit',
        async () => {
          location.hash = `#admin/profiles/${encodeURIComponent(p.id)}`;
        },
        { label: t('profilesEditNamed').replace('{name}', name) },
      ),
      actionButton(
        'profilesDelete',
        async () => {
          if (!window.confirm(t('profilesDeleteConfirm').replace('{name}', name))) return;
          try {
            await api('DELETE', `/api/v1/profiles/${encodeURIComponent(p.id)}`);
          } catch (error) {
            say(refusalText(error), 'error');
            return;
          }
          say(t('profilesDeleted'));
          await renderList(container);
        },
        { danger: true, label: t('profilesDeleteNamed').replace('{name}', name) },
      ),
    );
    return box;
  };
  const table = createTable({
    caption: 'profilesCaption',
    columns: [
      { text: 'profilesColId', value: (p) => p.id },
      { text: 'profilesColName', value: (p) => nameIn(p.name) },
      { text: 'profilesColMetrics', value: (p) => Object.keys(p.metrics).join(', ') },
      {
        text: 'profilesColInterval',
        value: (p) => t('profilesSeconds').replace('{n}', formatNumber(p.reportingIntervalS, 0)),
      },
      { text: 'profilesColDevices', value: (p) => p.devices, numeric: true },
      {
        text: 'profilesColOrigin',
        value: (p) => t(p.origin === 'seed' ? 'profilesOriginSeed' : 'profilesOriginAdmin'),
      },
      { text: 'profilesColActions', value: actions },
    ],
    rows: items,
  });
  table.id = 'profiles-table';
  container.replaceChildren(heading(t('profilesTitle')), intro, add, table);
}

async function renderEditor(container, id) {
  const [schema, profile] = await Promise.all([
    id ? bodySchema('put', '/api/v1/profiles/{id}') : bodySchema('post', '/api/v1/profiles'),
    id
      ? api('GET', `/api/v1/profiles/${encodeURIComponent(id)}`).catch((e) =>
          e instanceof ApiError && (e.status === 404 || e.status === 400) ? null : Promise.reject(e),
        )
      : null,
  ]);
  const back = document.createElement('a');
  back.href = '#admin/profiles';
  back.textContent = t('profilesBack');
  if (id && !profile) {
    const missing = document.createElement('p');
    missing.className = 'error';
    missing.textContent = t('profilesNotFound');
    container.replaceChildren(heading(t('profilesTitle')), missing, back);
    return;
  }
  const preview = createPreview();
  const values = profile
    ? {
        name: profile.name,
        description: profile.description,
        reportingIntervalS: profile.reportingIntervalS,
        metrics: profile.metrics,
        primaryMetrics: profile.primaryMetrics,
        ngsiLdType: profile.ngsiLdType,
      }
    : { reportingIntervalS: 300 };
  const form = createForm({
    schema,
    values,
    fields,
    labels,
    widgets: { metrics: metricsWidget },
    submitText: profile ? 'save' : 'profilesCreate',
    onSubmit: async (body) => {
      if (profile) await api('PUT', `/api/v1/profiles/${encodeURIComponent(profile.id)}`, body);
      else await api('POST', '/api/v1/profiles', body);
      say(t('profilesSaved'));
      location.hash = '#admin/profiles';
    },
    onChange: (body) => preview.update(profile?.id ?? body.id, body.metrics),
  });
  form.element.classList.add('profile-form');
  preview.update(profile?.id ?? undefined, form.read().metrics, 0);
  const title = profile
    ? t('profilesEditTitle').replace('{name}', nameIn(profile.name))
    : t('profilesNewTitle');
  const editor = document.createElement('div');
  editor.className = 'profile-editor';
  editor.append(form.element, preview.element);
  container.replaceChildren(heading(title), back, editor);
}

export async function render(container, { rest }) {
  if (!rest) return renderList(container);
  return renderEditor(container, rest === 'new' ? null : rest);
}
