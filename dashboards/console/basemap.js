// What lies under the devices: the offline base map (a PMTiles archive served by the IOC, drawn by
// protomaps-leaflet) when one is placed, online tiles when CONSOLE_TILE_URL names them, both with a
// switch when both exist. With neither the unit outlines and names (places.js) orient the operator.
import { t } from './i18n.js';
import { state } from './state.js';

const L = window.L;

async function offlineLayer(url) {
  // The archive says how deep its tiles go; beyond that the deepest ones are drawn larger, instead of
  // asking for tiles it does not hold.
  const archive = new window.pmtiles.PMTiles(url);
  const header = await archive.getHeader();
  return window.protomapsL.leafletLayer({
    url: archive,
    flavor: 'light',
    lang: state.lang,
    maxDataZoom: Math.max(1, header.maxZoom),
    attribution: '© OpenStreetMap',
  });
}

export async function addBasemap(map, { tileUrl, pmtilesUrl }) {
  const layers = {};
  if (pmtilesUrl) {
    try {
      layers[t('basemapOffline')] = await offlineLayer(pmtilesUrl);
    } catch (error) {
      // A damaged or replaced archive leaves the map usable on outlines and names alone.
      console.warn('offline base map unreadable', error);
    }
  }
  if (tileUrl)
    layers[t('basemapOnline')] = L.tileLayer(tileUrl, { maxZoom: 19, attribution: '© OpenStreetMap' });
  const all = Object.values(layers);
  all[0]?.addTo(map);
  if (all.length > 1) L.control.layers(layers, undefined, { position: 'topleft' }).addTo(map);
  return all[0] ?? null;
}
