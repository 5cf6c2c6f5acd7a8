// The map: device markers clustered by place, a cluster in the colour of its worst device, and the
// units' names so the operator knows where they look even without tiles.
import { escapeHtml } from './html.js';
import { openPanel } from './panel.js';
import { colours, state } from './state.js';

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
  if (marker.deviceState !== undefined && marker.deviceState !== look) state.cluster.refreshClusters(marker);
  marker.deviceState = look;
  marker.bindTooltip(device.name);
}

/** Replaces every marker with the devices of a snapshot; the first one with devices fits the view. */
export function showDevices(devices) {
  state.cluster.clearLayers();
  state.markers.clear();
  for (const device of devices) upsertMarker(device);
  if (devices.length > 0 && !state.fitted) {
    state.map.fitBounds(L.latLngBounds(devices.map((d) => [d.lat, d.lon])), { padding: [20, 20] });
    state.fitted = true;
  }
}

export function createMap(config) {
  state.map = L.map('map', { maxZoom: 19, minZoom: 8 }).setView([11.31, 106.1], 13);
  if (config.tileUrl)
    L.tileLayer(config.tileUrl, { maxZoom: 19, attribution: '© OpenStreetMap' }).addTo(state.map);
  // Without tiles (no internet in the control room) the wards' names still place the devices.
  for (const city of state.catalog.cities) {
    for (const ward of city.wards) {
      L.marker([ward.lat, ward.lon], {
        icon: L.divIcon({ className: 'ward-label', html: escapeHtml(ward.name), iconSize: [120, 16] }),
      }).addTo(state.map);
    }
  }
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
        html: `<div style="background:${colours[worst]}">${size}</div>`,
        className: `cluster cluster-${worst}`,
        iconSize: [36, 36],
      });
    },
  });
  state.map.addLayer(state.cluster);
}
