// The map: device markers clustered by place, a cluster in the colour of its worst device, over the
// base map (basemap.js) and the units' outlines and names (places.js).
import { addBasemap } from './basemap.js';
import { escapeHtml } from './html.js';
import { t } from './i18n.js';
import { isSeverity, kindSign, severitySign } from './icons.js';
import { openPanel } from './panel.js';
import { drawPlaces } from './places.js';
import { colours, state } from './state.js';
import { fitBusiestArea, keepView, openingView } from './view.js';

const L = window.L;

export function markerState(device) {
  if (device.alert) return device.alert;
  if (device.online === false) return 'offline';
  return 'ok';
}

export function upsertMarker(device) {
  const look = markerState(device);
  let marker = state.markers.get(device.id);
  if (!marker) {
    marker = L.circleMarker([device.lat, device.lon], {
      radius: 7,
      weight: 1,
      color: '#fff',
      fillOpacity: 0.95,
    });
    marker.on('click', () => openPanel(device.id));
    state.markers.set(device.id, marker);
    state.cluster.addLayer(marker);
  }
  marker.setStyle({ fillColor: colours[look] });
  if (marker.deviceState !== undefined && marker.deviceState !== look)
    state.cluster.refreshClusters([marker]);
  marker.deviceState = look;
  // An alerted device says so in a sign and a word beside its colour, visible without hovering.
  // Unbound when it turns between hover and permanent: Leaflet keeps a tooltip's first handlers when it
  // is bound again off the map, so a device alerted inside a cluster never showed its sign out of it.
  const alerted = isSeverity(look);
  if (marker.getTooltip() && marker.getTooltip().options.permanent !== alerted) marker.unbindTooltip();
  if (alerted)
    marker.bindTooltip(
      `${kindSign(device.kind, { labelled: true })} ${severitySign(look)} ${t(look)}: ${escapeHtml(device.name)}`,
      { permanent: true, direction: 'top', className: `alert-sign ${device.kind}-sign` },
    );
  else marker.bindTooltip(escapeHtml(device.name));
}

/** Replaces every marker with the devices of a snapshot; the first one may choose the view. */
export function showDevices(devices) {
  state.cluster.clearLayers();
  state.markers.clear();
  for (const device of devices) upsertMarker(device);
  fitBusiestArea(devices);
}

export async function createMap({ tileUrl, pmtilesUrl }) {
  state.map = L.map('map', { maxZoom: 19, minZoom: 5 });
  openingView(state.map);
  keepView(state.map);
  await addBasemap(state.map, { tileUrl, pmtilesUrl });
  drawPlaces(state.map);
  state.cluster = L.markerClusterGroup({
    disableClusteringAtZoom: 16,
    maxClusterRadius: 40,
    chunkedLoading: true,
    // A cluster wears the colour of its worst device: a fire in the Old Town shows red at any zoom.
    iconCreateFunction: (cluster) => {
      const order = ['critical', 'warning', 'info', 'offline', 'ok'];
      const looks = cluster.getAllChildMarkers().map((m) => m.deviceState ?? 'ok');
      const worst = order.find((look) => looks.includes(look)) ?? 'ok';
      const size = cluster.getChildCount();
      return L.divIcon({
        html: `<div style="background:${colours[worst]}">${severitySign(worst, { labelled: true })}${size}</div>`,
        className: `cluster cluster-${worst}`,
        iconSize: [36, 36],
      });
    },
  });
  state.map.addLayer(state.cluster);
}
