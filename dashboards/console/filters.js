// The area, unit and kind filters: what they offer comes from the catalogue, what they choose is the
// live subscription.
import { t } from './i18n.js';
import { unitName } from './places.js';
import { $, state } from './state.js';
import { fitArea, fitUnit } from './view.js';

export function renderFilters() {
  if (!state.catalog) return;
  const fill = (select, all, options, value) => {
    select.replaceChildren(new Option(t(all), ''), ...options.map(([v, label]) => new Option(label, v)));
    select.value = value ?? '';
  };
  const cities = state.catalog.cities;
  fill(
    $('filter-city'),
    'allCities',
    cities.map((c) => [c.city, c.name[state.lang]]),
    state.filter.city,
  );
  const city = cities.find((c) => c.city === state.filter.city);
  fill(
    $('filter-ward'),
    'allWards',
    // Units by their full name in the reader's language (Phường Hội An / Hội An Ward), never the id.
    (city?.wards ?? []).map((w) => [w.id, unitName(city.city, w.id) ?? w.name]),
    state.filter.wards?.[0],
  );
  fill(
    $('filter-kind'),
    'allKinds',
    state.catalog.kinds.map((k) => [k.kind, k.name[state.lang]]),
    state.filter.kinds?.[0],
  );
}

export function onFilterChange() {
  const city = $('filter-city').value || undefined;
  const ward = $('filter-ward').value || undefined;
  const kind = $('filter-kind').value || undefined;
  const previous = state.filter;
  state.filter = {
    ...(city ? { city } : {}),
    ...(city && ward ? { wards: [ward] } : {}),
    ...(kind ? { kinds: [kind] } : {}),
  };
  // The map follows the choice: a unit's outline, else the area's bounds.
  const moved = city && (city !== previous.city || ward !== previous.wards?.[0]);
  renderFilters();
  if (moved) ward ? fitUnit(city, ward) : fitArea(city);
  state.socket?.emit('subscribe', state.filter, () => {});
}
