// The rule form's special controls: the scope as selects of what exists (profiles, areas, units, from
// the API), and the schedule's minutes of the day as hh:mm time inputs. Every other field is drawn
// by the shared form from the API's own schema.

import { t } from '../i18n.js';
import { labelled, nameIn, option } from './controls.js';

/** A select whose first choice leaves the scope open; a stored value no longer offered stays shown. */
function scopeSelect(anyText, groups) {
  return ({ id, label, value }) => {
    const select = document.createElement('select');
    select.append(option('', t(anyText)));
    for (const group of groups) {
      const parent = group.label ? document.createElement('optgroup') : select;
      if (group.label) {
        parent.label = group.label;
        select.append(parent);
      }
      for (const [v, text] of group.options) parent.append(option(v, text));
    }
    if (value && ![...select.options].some((o) => o.value === value)) select.append(option(value, value));
    select.value = value ?? '';
    return { element: labelled(id, label, select), read: () => select.value || undefined };
  };
}

/** Minutes of the day as hh:mm; an end of 00:00 means the end of the day (1440). */
function timeOfDay(end) {
  return ({ id, label, value }) => {
    const input = document.createElement('input');
    input.type = 'time';
    if (typeof value === 'number') {
      const m = value % 1440;
      input.value = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    }
    const read = () => {
      const match = /^(\d{2}):(\d{2})/.exec(input.value);
      if (!match) return undefined;
      const minutes = Number(match[1]) * 60 + Number(match[2]);
      return end && minutes === 0 ? 1440 : minutes;
    };
    return { element: labelled(id, label, input), read };
  };
}

/** The widgets, from the lists the page loaded: profiles, areas, units. */
export function ruleWidgets({ profiles, areas, units }) {
  const areaName = new Map(areas.map((a) => [a.id, nameIn(a.name)]));
  return {
    kind: scopeSelect('rulesAnyProfile', [
      { options: profiles.map((p) => [p.id, `${nameIn(p.name)} (${p.id})`]) },
    ]),
    city: scopeSelect('rulesAnyArea', [{ options: areas.map((a) => [a.id, nameIn(a.name)]) }]),
    ward: scopeSelect(
      'rulesAnyUnit',
      areas.map((a) => ({
        label: areaName.get(a.id),
        options: units.filter((u) => u.area === a.id).map((u) => [u.id, nameIn(u.fullName) || u.name]),
      })),
    ),
    windowStart: timeOfDay(false),
    windowEnd: timeOfDay(true),
  };
}
