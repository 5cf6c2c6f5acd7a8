// The users page: every account with its role, scope and state; a new account from the API's own
// request schema (POST /api/v1/users); a role or scope changed (#admin/users/<name>); a password reset
// to a generated one shown once; a lockout lifted; an account disabled or enabled. The API ends the
// person's sessions on a new scope, password or disabling; the page says so before and after.
import { api } from '../api.js';
import { attempt, say } from '../feedback.js';
import { addStrings, formatDateTime, t } from '../i18n.js';
import { state } from '../state.js';
import { createForm } from './form.js';
import { bodySchema } from './schemas.js';
import { actionButton, createTable } from './table.js';
import { strings } from './users.strings.js';
import { areaScopeWidget, deviceScopeWidget, loadAreas, scopeText } from './usersScope.js';

addStrings(strings);

const roleTexts = {
  viewer: 'usrRoleViewer',
  operator: 'usrRoleOperator',
  admin: 'usrRoleAdmin',
  installer: 'usrRoleInstaller',
};
const roleText = (role) => (roleTexts[role] ? t(roleTexts[role]) : role);
const fill = (key, user) => t(key).replace('{user}', user);

/** Who is signed in (the token's subject): an admin is not offered to disable themselves (the API refuses it). */
function signedIn() {
  try {
    const payload = state.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)).sub;
  } catch {
    return null;
  }
}

function heading(level, text) {
  const h = document.createElement(`h${level}`);
  h.textContent = text;
  return h;
}

function paragraph(text, className) {
  const p = document.createElement('p');
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

function stateText(user) {
  if (user.disabled) return t('usrDisabled');
  if (user.lockedUntil) return t('usrLockedUntil').replace('{time}', formatDateTime(user.lockedUntil));
  return t('usrActive');
}

function reachText(user, areas) {
  if (user.role === 'installer' && user.devices) {
    const list = (ids) => (ids?.length ? ids.join(', ') : t('usrNone'));
    return t('usrDevicesScope')
      .replace('{profiles}', list(user.devices.profiles))
      .replace('{devices}', list(user.devices.devices));
  }
  return scopeText(user.scope, areas);
}

/** The role a form will send, else the account's own (an edit form may leave the role unchanged). */
const chosenRole = (form, fallback) => form.querySelector('select[name=role]')?.value || fallback;

/** The scope controls of one form: the area scope for viewers and operators, device lists for installers. */
function scopeWidgets(getForm, fallbackRole, areas, profiles) {
  const role = () => chosenRole(getForm(), fallbackRole);
  return {
    scope: areaScopeWidget(areas, () => ['viewer', 'operator'].includes(role())),
    devices: deviceScopeWidget(profiles, () => role() === 'installer'),
  };
}

const refreshWidgets = (form) => {
  for (const el of form.querySelectorAll('.scope-widget')) el.refresh?.();
};

const roleOptions = () => ({ role: roleTexts });

/** The one-time answer of a reset: the password, copyable, gone when the page is redrawn. */
function showPassword(box, username, password) {
  const code = document.createElement('code');
  code.className = 'secret-once';
  code.textContent = password;
  const copy = actionButton('usrResetCopy', async () => {
    await navigator.clipboard?.writeText(password).catch(() => {});
    say(t('usrResetCopied'));
  });
  const note = paragraph(fill('usrResetDone', username));
  box.replaceChildren(note, code, copy);
  box.hidden = false;
  code.tabIndex = -1;
  code.focus();
}

function actionsFor(user, redraw, oneTime) {
  const cell = document.createElement('div');
  cell.className = 'row-actions';
  const edit = document.createElement('a');
  edit.href = `#admin/users/${encodeURIComponent(user.username)}`;
  edit.textContent = t('usrEdit');
  edit.setAttribute('aria-label', fill('usrEditLabel', user.username));
  const reset = actionButton(
    'usrReset',
    () =>
      attempt(async () => {
        if (!confirm(fill('usrResetConfirm', user.username))) return;
        const answer = await api('POST', `/api/v1/users/${encodeURIComponent(user.username)}/password-reset`);
        showPassword(oneTime, answer.username, answer.password);
      }),
    { label: fill('usrResetLabel', user.username) },
  );
  cell.append(edit, reset);
  if (user.lockedUntil) {
    cell.append(
      actionButton(
        'usrUnlock',
        () =>
          attempt(async () => {
            await api('POST', `/api/v1/users/${encodeURIComponent(user.username)}/unlock`);
            say(fill('usrUnlocked', user.username));
            await redraw();
          }),
        { label: fill('usrUnlockLabel', user.username) },
      ),
    );
  }
  if (user.username !== signedIn()) {
    const disabling = !user.disabled;
    cell.append(
      actionButton(
        disabling ? 'usrDisable' : 'usrEnable',
        () =>
          attempt(async () => {
            if (disabling && !confirm(fill('usrDisableConfirm', user.username))) return;
            await api('PATCH', `/api/v1/users/${encodeURIComponent(user.username)}`, { disabled: disabling });
            say(fill(disabling ? 'usrDisabledDone' : 'usrEnabledDone', user.username));
            await redraw();
          }),
        { danger: disabling, label: fill(disabling ? 'usrDisableLabel' : 'usrEnableLabel', user.username) },
      ),
    );
  }
  return cell;
}

async function listView(container) {
  const [schema, areas, profiles] = await Promise.all([
    bodySchema('post', '/api/v1/users'),
    loadAreas(),
    api('GET', '/api/v1/profiles').then((r) => r.items),
  ]);
  const oneTime = document.createElement('div');
  oneTime.className = 'once-box';
  oneTime.setAttribute('role', 'status');
  oneTime.hidden = true;
  const tableBox = document.createElement('div');
  tableBox.id = 'users-list';

  async function redraw() {
    const { items } = await api('GET', '/api/v1/users');
    tableBox.replaceChildren(
      createTable({
        caption: 'usrListCaption',
        columns: [
          { text: 'usrColUser', value: (u) => u.username },
          { text: 'usrColRole', value: (u) => roleText(u.role) },
          { text: 'usrColScope', value: (u) => reachText(u, areas) },
          { text: 'usrColState', value: (u) => stateText(u) },
          {
            text: 'usrColLastLogin',
            value: (u) => (u.lastLoginAt ? formatDateTime(u.lastLoginAt) : t('usrNever')),
          },
          { text: 'usrColCreated', value: (u) => formatDateTime(u.createdAt) },
          { text: 'usrColActions', value: (u) => actionsFor(u, redraw, oneTime) },
        ],
        rows: items,
      }),
    );
  }

  let form;
  form = createForm({
    schema,
    fields: ['username', 'password', 'role', 'scope', 'devices'],
    labels: {
      username: 'usrUsername',
      password: 'usrPassword',
      role: 'usrRole',
      scope: 'usrScope',
      devices: 'usrDevices',
    },
    options: roleOptions(),
    widgets: scopeWidgets(() => form?.element ?? document.createElement('form'), 'viewer', areas, profiles),
    submitText: 'usrCreate',
    onChange: () => form && refreshWidgets(form.element),
    async onSubmit(body) {
      await api('POST', '/api/v1/users', body);
      say(fill('usrCreated', body.username));
      form.element.reset();
      refreshWidgets(form.element);
      await redraw();
    },
  });
  refreshWidgets(form.element);
  await redraw();
  container.replaceChildren(
    heading(2, t('usrTitle')),
    paragraph(t('usrIntro'), 'admin-intro'),
    oneTime,
    tableBox,
    heading(3, t('usrCreateTitle')),
    form.element,
  );
}

async function editView(container, username) {
  const [schema, areas, profiles, list] = await Promise.all([
    bodySchema('patch', '/api/v1/users/{username}'),
    loadAreas(),
    api('GET', '/api/v1/profiles').then((r) => r.items),
    api('GET', '/api/v1/users'),
  ]);
  const back = document.createElement('a');
  back.href = '#admin/users';
  back.textContent = t('usrBack');
  const user = list.items.find((u) => u.username === username);
  if (!user) {
    container.replaceChildren(back, paragraph(fill('usrNotFound', username), 'error'));
    return;
  }
  const before = JSON.stringify(user.scope);
  const beforeDevices = JSON.stringify(user.devices ?? null);
  let form;
  form = createForm({
    schema,
    fields: ['role', 'scope', 'devices'],
    values: { role: user.role, scope: user.scope, devices: user.devices ?? undefined },
    labels: { role: 'usrRole', scope: 'usrScope', devices: 'usrDevices' },
    options: roleOptions(),
    widgets: scopeWidgets(() => form?.element ?? document.createElement('form'), user.role, areas, profiles),
    onChange: () => form && refreshWidgets(form.element),
    async onSubmit(body) {
      // Only what changed: an unchanged scope sent again would still be checked, and says nothing new.
      const patch = { ...body };
      if (patch.role === user.role) delete patch.role;
      if (JSON.stringify(patch.scope) === before) delete patch.scope;
      if (JSON.stringify(patch.devices ?? null) === beforeDevices) delete patch.devices;
      if (Object.keys(patch).length > 0)
        await api('PATCH', `/api/v1/users/${encodeURIComponent(username)}`, patch);
      say(fill('usrSaved', username));
      location.hash = '#admin/users';
    },
  });
  refreshWidgets(form.element);
  container.replaceChildren(
    back,
    heading(2, fill('usrEditTitle', username)),
    paragraph(fill('usrEditNote', username), 'admin-intro'),
    form.element,
  );
}

export async function render(container, { rest }) {
  if (rest) await editView(container, rest);
  else await listView(container);
}
