// A device's recent history of one metric, drawn as a line.
import { api } from './api.js';
import { escapeHtml } from './html.js';
import { $, state } from './state.js';

export async function drawChart(device, kind) {
  const metric =
    Object.keys(kind.metrics).find((m) => kind.metrics[m].type === 'number' && m in device.metrics) ??
    Object.keys(kind.metrics)[0];
  const from = new Date(Date.now() - 6 * 3600_000).toISOString();
  const data = await api(
    'GET',
    `/api/v1/devices/${device.id}/telemetry?metric=${metric}&bucket=5m&from=${from}`,
  );
  const points = data.points;
  const chart = $('chart');
  if (!chart || points.length === 0) return;
  const w = 380;
  const h = 120;
  const min = Math.min(...points.map((p) => p.min));
  const max = Math.max(...points.map((p) => p.max));
  const t0 = Date.parse(points[0].ts);
  const t1 = Date.parse(points.at(-1).ts) || t0 + 1;
  const x = (ts) => ((Date.parse(ts) - t0) / Math.max(1, t1 - t0)) * (w - 10) + 5;
  const y = (v) => h - 5 - ((v - min) / Math.max(1e-9, max - min)) * (h - 10);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(p.ts).toFixed(1)},${y(p.avg).toFixed(1)}`).join(' ');
  chart.innerHTML = `<svg width="${w}" height="${h}" role="img" aria-label="${escapeHtml(metric)}"><path d="${path}" fill="none" stroke="#3f88c5" stroke-width="2"/></svg>
    <div class="meta">${escapeHtml(kind.metrics[metric].name[state.lang])}: ${min.toFixed(1)} – ${max.toFixed(1)} ${escapeHtml(kind.metrics[metric].unit)}</div>`;
}
