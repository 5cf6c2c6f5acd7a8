// The places on the map: each area's units as outlines (where boundaries are imported) and names.
// Names never overlap: after each move, a name that would cover one already shown is hidden (in the
// order the areas list their units), so the map stays readable at every zoom.

import { api } from './api.js';
import { escapeHtml } from './html.js';
import { state } from './state.js';

const L = window.L;

export async function loadAreas() {
  const { items } = await api('GET', '/api/v1/places/areas');
  // Only the units in force are drawn; ended ones live on in the API for history.
  state.areas = items.map((area) => ({ ...area, units: area.units.filter((u) => !u.validTo) }));
}

/** A unit's full name in the reader's language, from the places API. */
export function unitName(areaId, unitId) {
  const unit = state.areas.find((a) => a.id === areaId)?.units.find((u) => u.id === unitId);
  return unit ? (unit.fullName[state.lang] ?? unit.name) : undefined;
}

export function drawPlaces(map) {
  const labels = [];
  for (const area of state.areas) {
    for (const unit of area.units) {
      const marker = L.marker([unit.centre.lat, unit.centre.lon], {
        icon: L.divIcon({
          className: 'ward-label',
          html: `<span>${escapeHtml(unit.fullName[state.lang] ?? unit.name)}</span>`,
          iconSize: [0, 0],
        }),
        interactive: false,
        keyboard: false,
      }).addTo(map);
      labels.push(marker);
    }
  }
  state.placeLabels = labels;
  map.on('zoomend moveend', declutter);
  declutter();
  void drawBoundaries(map);
}

async function drawBoundaries(map) {
  const units = state.areas.flatMap((a) => a.units).filter((u) => u.boundaryBbox);
  const features = await Promise.all(
    units.map((u) => api('GET', `/api/v1/places/units/${u.id}/boundary`).catch(() => null)),
  );
  const shown = features.filter(Boolean);
  if (shown.length === 0) return;
  L.geoJSON(
    { type: 'FeatureCollection', features: shown },
    {
      interactive: false,
      style: { className: 'unit-boundary', color: '#4a5a6a', weight: 1.5, dashArray: '6 4', fill: false },
    },
  ).addTo(map);
  map.fire('boundariesdrawn', { count: shown.length });
  state.boundaries = shown.length;
}

const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;

function declutter() {
  const kept = [];
  for (const marker of state.placeLabels ?? []) {
    const span = marker.getElement()?.firstElementChild;
    if (!span) continue;
    span.classList.remove('label-hidden');
    const box = span.getBoundingClientRect();
    const clash = kept.some((other) => overlaps(box, other));
    span.classList.toggle('label-hidden', clash);
    if (!clash) kept.push(box);
  }
}
