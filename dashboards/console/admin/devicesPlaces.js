// Where a device stands and what it is, as an admin picks them: the area and its units in force from
// /api/v1/places (names with their diacritics), the profiles from /api/v1/profiles. Form widgets for the
// `city`, `ward` and `kind` fields of the API's own device schemas, and names for the list's cells.
import { api } from '../api.js';
import { t } from '../i18n.js';
import { state } from '../state.js';
import { labelled, option } from './controls.js';

/** Areas with their units in force today, and the profiles; loaded once per page draw. */
export async function loadChoices() {
  const today = new Date().toISOString().slice(0, 10);
  const [areas, profiles] = await Promise.all([
    api('GET', '/api/v1/places/areas').then((r) => r.items),
    api('GET', '/api/v1/profiles').then((r) => r.items),
  ]);
  return {
    areas: areas.map((a) => ({ ...a, units: a.units.filter((u) => !u.validTo || u.validTo > today) })),
    profiles,
  };
}

const bilingualName = (name, fallback) => name?.[state.lang] ?? name?.vi ?? fallback;
export const areaName = (choices, id) => bilingualName(choices.areas.find((a) => a.id === id)?.name, id);
export function unitName(choices, areaId, unitId) {
  for (const area of choices.areas) {
    if (areaId && area.id !== areaId) continue;
    const unit = area.units.find((u) => u.id === unitId);
    if (unit) return bilingualName(unit.fullName, unit.name);
  }
  return unitId;
}
export const profileName = (choices, id) => {
  const profile = choices.profiles.find((p) => p.id === id);
  return bilingualName(profile?.name, id);
};

/** Fills a select with the units of one area; the current value kept when it is among them. */
export function fillUnits(select, choices, areaId, emptyText) {
  const value = select.value;
  const area = choices.areas.find((a) => a.id === areaId);
  select.replaceChildren(
    option('', t(emptyText)),
    ...(area?.units ?? []).map((u) => option(u.id, bilingualName(u.fullName, u.name))),
  );
  if ([...select.options].some((o) => o.value === value)) select.value = value;
}

/** A labelled select for a form widget. */
/**
 * Widgets for `city` (area), `ward` (unit of the chosen area) and `kind` (profile): selects in place of
 * the schemas' free text, so an admin picks what exists. The unit list follows the area chosen.
 */
export function placeWidgets(choices) {
  const area = document.createElement('select');
  area.name = 'city';
  area.required = true;
  const unit = document.createElement('select');
  unit.name = 'ward';
  unit.required = true;
  area.addEventListener('change', () => fillUnits(unit, choices, area.value, 'devChooseUnit'));
  return {
    city: ({ id, value }) => {
      area.replaceChildren(
        option('', t('devChooseArea')),
        ...choices.areas.map((a) => option(a.id, bilingualName(a.name, a.id))),
      );
      area.value = value ?? '';
      return { element: labelled(id, t('devArea'), area, 'dev-place'), read: () => area.value || undefined };
    },
    ward: ({ id, value }) => {
      fillUnits(unit, choices, area.value, 'devChooseUnit');
      if (value) unit.value = value;
      return { element: labelled(id, t('devUnit'), unit, 'dev-place'), read: () => unit.value || undefined };
    },
  };
}

export function profileWidget(choices) {
  return ({ id, value }) => {
    const select = document.createElement('select');
    select.name = 'kind';
    select.required = true;
    select.append(...choices.profiles.map((p) => option(p.id, bilingualName(p.name, p.id))));
    if (value) select.value = value;
    return {
      element: labelled(id, t('devProfile'), select, 'dev-place'),
      read: () => select.value || undefined,
    };
  };
}
