// The area, unit and kind filters: what they offer comes from the catalogue, what they choose is the
// live subscription.
import { t } from './i18n.js';
import { $, state } from './state.js';

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
    (city?.wards ?? []).map((w) => [w.id, w.name]),
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
  state.filter = {
    ...(city ? { city } : {}),
    ...(city && ward ? { wards: [ward] } : {}),
    ...(kind ? { kinds: [kind] } : {}),
  };
  renderFilters();
  state.socket?.emit('subscribe', state.filter, () => {});
}
