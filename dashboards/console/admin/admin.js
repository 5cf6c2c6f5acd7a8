// Administration in the console: the pages an administrator uses every week, reached from the header
// (admins only; the API refuses the same calls to anyone else). The address names the page
// (#admin/devices, #admin/devices/<id>), so a page can be bookmarked, reloaded and sent to a colleague.
// Each page is its own module, loaded when first opened, with render(container, { rest }).
import { addStrings, t } from '../i18n.js';
import { $, state } from '../state.js';
import { strings } from './admin.strings.js';

addStrings(strings);

export const pages = [
  { id: 'devices', text: 'adminDevices', load: () => import('./devices.js') },
  { id: 'profiles', text: 'adminProfiles', load: () => import('./profiles.js') },
  { id: 'rules', text: 'adminRules', load: () => import('./rules.js') },
  { id: 'users', text: 'adminUsers', load: () => import('./users.js') },
  { id: 'notifications', text: 'adminNotifications', load: () => import('./notifications.js') },
  { id: 'integrations', text: 'adminIntegrations', load: () => import('./integrations.js') },
  { id: 'audit', text: 'adminAudit', load: () => import('./audit.js') },
  { id: 'system', text: 'adminSystem', load: () => import('./system.js') },
];

const isAdmin = () => state.role === 'admin';
let shown = null;

function labelButton() {
  $('admin-open').textContent = t(shown ? 'adminBackToMap' : 'adminOpen');
}

function drawNav(current) {
  const nav = $('admin-nav');
  nav.replaceChildren(
    ...pages.map((page) => {
      const a = document.createElement('a');
      a.href = `#admin/${page.id}`;
      a.textContent = t(page.text);
      if (page.id === current) a.setAttribute('aria-current', 'page');
      return a;
    }),
  );
}

/** Shows the page the address names, or the map when it names none. */
export async function route() {
  const match = /^#admin\/([a-z-]+)(?:\/(.*))?$/.exec(location.hash);
  const page = match && pages.find((p) => p.id === match[1]);
  if (!page || !isAdmin()) {
    if (shown !== null) {
      shown = null;
      $('admin').hidden = true;
      document.querySelector('#app > main').hidden = false;
      document.body.classList.remove('admin-mode');
      state.map?.invalidateSize();
    }
    labelButton();
    return;
  }
  shown = page.id;
  document.querySelector('#app > main').hidden = true;
  // The map's filters have nothing to do on these pages: they are put away (styles.css).
  document.body.classList.add('admin-mode');
  $('admin').hidden = false;
  labelButton();
  drawNav(page.id);
  const container = $('admin-page');
  container.replaceChildren();
  container.setAttribute('aria-busy', 'true');
  try {
    const module = await page.load();
    if (shown !== page.id) return;
    await module.render(container, { rest: match[2] ? decodeURIComponent(match[2]) : '' });
  } catch (error) {
    const p = document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    p.textContent = `${t('adminPageFailed')} (${error?.message ?? error})`;
    container.replaceChildren(p);
  } finally {
    container.removeAttribute('aria-busy');
  }
}

/** The header's way in, for admins; the way back to the map is the same button. */
export function setUpAdmin() {
  const button = $('admin-open');
  button.hidden = !isAdmin();
  button.addEventListener('click', () => {
    location.hash = shown ? '' : `#admin/${pages[0].id}`;
  });
  window.addEventListener('hashchange', route);
  labelButton();
  return route();
}

/** Redraws the page shown, after a language switch. */
export function redrawAdmin() {
  if (shown) {
    drawNav(shown);
    void route();
  }
  labelButton();
}
