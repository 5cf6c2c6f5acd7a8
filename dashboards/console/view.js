// Where the map looks: the view the operator left (kept in this browser), else their area's default
// bounds; choosing an area or a unit moves the map there.
import { state } from './state.js';

const L = window.L;
const key = 'ioc.view';

export function savedView() {
  try {
    const view = JSON.parse(localStorage.getItem(key) ?? 'null');
    return Number.isFinite(view?.lat) && Number.isFinite(view?.lon) && Number.isFinite(view?.zoom)
      ? view
      : null;
  } catch {
    return null;
  }
}

export function keepView(map) {
  map.on('moveend', () => {
    const centre = map.getCenter();
    localStorage.setItem(key, JSON.stringify({ lat: centre.lat, lon: centre.lng, zoom: map.getZoom() }));
  });
}

const toLatLngBounds = (b) => L.latLngBounds([b.south, b.west], [b.north, b.east]);

export function fitArea(areaId) {
  const area = state.areas.find((a) => a.id === areaId);
  if (area) state.map.fitBounds(toLatLngBounds(area.bounds), { animate: false });
}

export function fitUnit(areaId, unitId) {
  const unit = state.areas.find((a) => a.id === areaId)?.units.find((u) => u.id === unitId);
  if (!unit) return fitArea(areaId);
  if (unit.boundaryBbox) {
    const [west, south, east, north] = unit.boundaryBbox;
    state.map.fitBounds(toLatLngBounds({ south, west, north, east }), { animate: false });
  } else state.map.setView([unit.centre.lat, unit.centre.lon], 15, { animate: false });
}

/** The first area the account reaches, by the area's id or one of its units'. */
function scopedArea() {
  if (!Array.isArray(state.scope)) return undefined;
  return state.areas.find(
    (a) => state.scope.includes(a.id) || a.units.some((u) => state.scope.includes(u.id)),
  );
}

/** The view at start: the one left here before, else the chosen area, else the user's, else the first. */
export function openingView(map) {
  const view = savedView();
  if (view) {
    map.setView([view.lat, view.lon], view.zoom, { animate: false });
    state.fitted = true;
    return;
  }
  const scoped = scopedArea();
  const area = state.areas.find((a) => a.id === state.filter.city) ?? scoped ?? state.areas[0];
  // An account limited to an area opens there, whatever the device count elsewhere says.
  if (scoped) state.fitted = true;
  if (area) map.fitBounds(toLatLngBounds(area.bounds), { animate: false });
  else map.setView([16, 107], 6);
}

/** With no view kept, the first snapshot shows the area where most of the devices stand. */
export function fitBusiestArea(devices) {
  if (state.fitted || devices.length === 0) return;
  state.fitted = true;
  const counts = new Map();
  for (const d of devices) counts.set(d.city, (counts.get(d.city) ?? 0) + 1);
  const [busiest] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  fitArea(busiest);
}
