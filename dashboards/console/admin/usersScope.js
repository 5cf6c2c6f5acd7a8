// The controls for what an account or an API key reaches: an area scope ("every area", or areas and
// units ticked from GET /api/v1/places/areas) and an installer's device lists (profiles ticked from
// GET /api/v1/profiles, device ids typed). Both write exactly what the API's scope fields take, so the
// form is still drawn from the API's schema and only these two fields get a friendlier control.
import { api } from '../api.js';
import { addStrings, t } from '../i18n.js';
import { state } from '../state.js';
import { strings } from './users.strings.js';

// Its texts live in the users page's table; the integrations page uses these controls too.
addStrings(strings);

/** Areas with their units in force (a unit that ended cannot be given as a new scope's place). */
export async function loadAreas() {
  const today = new Date().toISOString().slice(0, 10);
  const { items } = await api('GET', '/api/v1/places/areas');
  return items.map((area) => ({
    ...area,
    units: area.units.filter((u) => !u.validTo || u.validTo > today),
  }));
}

const areaName = (area) => area.name?.[state.lang] ?? area.name?.vi ?? area.id;
/** "Phường Hội An", with its type, as people name it. */
export const unitName = (unit) => unit.fullName?.[state.lang] ?? unit.name;

/** A scope as a person reads it: place names with their diacritics, not ids. */
export function scopeText(scope, areas) {
  if (!scope || scope === 'all') return t('usrAllAreas');
  const names = new Map();
  for (const area of areas) {
    names.set(area.id, areaName(area));
    for (const unit of area.units) names.set(unit.id, unitName(unit));
  }
  return scope.map((id) => names.get(id) ?? id).join(', ');
}

function check(id, text, checked) {
  const box = document.createElement('input');
  box.type = 'checkbox';
  box.id = id;
  box.checked = checked;
  box.defaultChecked = checked; // a form reset returns to what the account had
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = text;
  const span = document.createElement('span');
  span.className = 'scope-check';
  span.append(box, label);
  return { box, element: span };
}

/**
 * The area scope control for createForm's widgets: "every area" or the ticked areas and units. It reads
 * undefined while `enabled()` says the role has no area scope (admins, installers), so nothing is sent.
 */
export function areaScopeWidget(areas, enabled = () => true) {
  return ({ id, label, value }) => {
    const chosen = new Set(Array.isArray(value) ? value : []);
    const fieldset = document.createElement('fieldset');
    fieldset.id = id;
    fieldset.className = 'scope-widget';
    const legend = document.createElement('legend');
    legend.textContent = label;
    const note = document.createElement('p');
    note.className = 'field-hint';
    note.textContent = t('usrScopeAdminNote');
    const radio = (suffix, text, checked) => {
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = id;
      input.id = `${id}-${suffix}`;
      input.checked = checked;
      input.defaultChecked = checked;
      const l = document.createElement('label');
      l.htmlFor = input.id;
      l.textContent = text;
      const span = document.createElement('span');
      span.className = 'scope-check';
      span.append(input, l);
      return { input, element: span };
    };
    const all = radio('all', t('usrScopeAll'), chosen.size === 0);
    const some = radio('some', t('usrScopeSome'), chosen.size > 0);
    const places = document.createElement('div');
    places.className = 'scope-places';
    const boxes = [];
    for (const area of areas) {
      const group = document.createElement('details');
      const inside = area.units.some((u) => chosen.has(u.id));
      group.open = inside;
      const summary = document.createElement('summary');
      summary.textContent = areaName(area);
      const whole = check(
        `${id}-${area.id}`,
        t('usrScopeAreaAll').replace('{area}', areaName(area)),
        chosen.has(area.id),
      );
      boxes.push([area.id, whole.box]);
      const units = document.createElement('fieldset');
      const unitsLegend = document.createElement('legend');
      unitsLegend.textContent = t('usrScopeUnits').replace('{area}', areaName(area));
      units.append(unitsLegend);
      for (const unit of area.units) {
        const c = check(`${id}-${unit.id}`, unitName(unit), chosen.has(unit.id));
        boxes.push([unit.id, c.box]);
        units.append(c.element);
      }
      group.append(summary, whole.element, units);
      places.append(group);
    }
    const sync = () => {
      places.hidden = !some.input.checked;
      const on = enabled();
      all.input.disabled = !on;
      some.input.disabled = !on;
      note.hidden = on;
    };
    all.input.addEventListener('change', sync);
    some.input.addEventListener('change', sync);
    fieldset.append(legend, note, all.element, some.element, places);
    sync();
    fieldset.refresh = sync;
    return {
      element: fieldset,
      read: () => {
        if (!enabled()) return undefined;
        if (all.input.checked) return 'all';
        const ids = boxes.filter(([, box]) => box.checked).map(([placeId]) => placeId);
        return ids.length ? ids : [];
      },
    };
  };
}

/**
 * An installer's lists for createForm's widgets: profiles ticked, device ids one per line. Shown only
 * while `enabled()` (the installer role is chosen); reads undefined otherwise.
 */
export function deviceScopeWidget(profiles, enabled) {
  return ({ id, label, value }) => {
    const fieldset = document.createElement('fieldset');
    fieldset.id = id;
    fieldset.className = 'scope-widget';
    const legend = document.createElement('legend');
    legend.textContent = label;
    const profileBox = document.createElement('fieldset');
    const profileLegend = document.createElement('legend');
    profileLegend.textContent = t('usrDeviceProfiles');
    profileBox.append(profileLegend);
    const ticked = new Set(value?.profiles ?? []);
    const boxes = profiles.map((p) => {
      const c = check(`${id}-p-${p.id}`, `${p.name?.[state.lang] ?? p.id} (${p.id})`, ticked.has(p.id));
      c.box.value = p.id;
      profileBox.append(c.element);
      return c.box;
    });
    const idsLabel = document.createElement('label');
    idsLabel.htmlFor = `${id}-ids`;
    idsLabel.textContent = t('usrDeviceIds');
    const ids = document.createElement('textarea');
    ids.id = `${id}-ids`;
    ids.rows = 3;
    ids.value = (value?.devices ?? []).join('\n');
    fieldset.append(legend, profileBox, idsLabel, ids);
    fieldset.hidden = !enabled();
    fieldset.refresh = () => {
      fieldset.hidden = !enabled();
    };
    return {
      element: fieldset,
      read: () => {
        if (!enabled()) return undefined;
        return {
          profiles: boxes.filter((b) => b.checked).map((b) => b.value),
          devices: ids.value
            .split(/[\n,]/)
            .map((v) => v.trim())
            .filter(Boolean),
        };
      },
    };
  };
}
