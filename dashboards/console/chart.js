// A device's history that people can read: uPlot with a time axis in the city's time zone, values
// with their units in the reader's number format, several metrics at once (one axis per unit), ranges
// from 6 hours to 30 days in buckets sized for each, and a CSV of exactly what is drawn.
import { api } from './api.js';
import { escapeHtml } from './html.js';
import { formatNumber, locale, t } from './i18n.js';
import { $, state } from './state.js';

export const ranges = {
  '6h': { hours: 6, bucket: '5m' },
  '24h': { hours: 24, bucket: '15m' },
  '7d': { hours: 7 * 24, bucket: '1h' },
  '30d': { hours: 30 * 24, bucket: '6h' },
};
const palette = ['#1f6fb2', '#d95f02', '#1b9e77', '#7570b3'];
const timeZone = 'Asia/Ho_Chi_Minh';
const chartState = { range: '6h', metrics: null, shown: null, plot: null };

/** The kind's numeric metrics, its primary ones first (in the order the catalogue gives them). */
function numericMetrics(kind) {
  const primary = kind.primaryMetrics ?? [];
  const rank = (m) => (primary.includes(m) ? primary.indexOf(m) : primary.length);
  return Object.keys(kind.metrics)
    .filter((m) => kind.metrics[m].type === 'number')
    .sort((a, b) => rank(a) - rank(b));
}

/** Time ticks as the reader writes them: hours within a day, days and months beyond. */
function timeTicks(span) {
  const format =
    span <= 2 * 86_400
      ? new Intl.DateTimeFormat(locale(), { timeZone, hour: '2-digit', minute: '2-digit' })
      : new Intl.DateTimeFormat(locale(), { timeZone, day: 'numeric', month: 'numeric' });
  return (_u, splits) => splits.map((s) => format.format(new Date(s * 1000)));
}

function controls(kind) {
  const metrics = numericMetrics(kind);
  const rangeButtons = Object.keys(ranges)
    .map(
      (r) =>
        `<button type="button" class="chart-range" data-range="${r}" aria-pressed="${r === chartState.range}">${t(`range${r}`)}</button>`,
    )
    .join('');
  const boxes = metrics
    .map(
      (m) =>
        `<label><input type="checkbox" class="chart-metric" value="${m}" ${chartState.metrics.includes(m) ? 'checked' : ''}> ${escapeHtml(kind.metrics[m].name[state.lang])} (${escapeHtml(kind.metrics[m].unit)})</label>`,
    )
    .join(' ');
  return `<div class="chart-controls" role="group" aria-label="${t('chartRange')}">${rangeButtons}</div>
    <fieldset class="chart-metrics"><legend>${t('chartMetrics')}</legend>${boxes}</fieldset>
    <div id="chart-plot"></div><p class="meta" id="chart-summary"></p>
    <button type="button" id="chart-csv">${t('exportCsv')}</button>`;
}

export async function drawChart(device, kind) {
  const chart = $('chart');
  if (!chart) return;
  const available = numericMetrics(kind);
  if (!chartState.metrics || chartState.kind !== kind.kind) {
    chartState.kind = kind.kind;
    chartState.metrics = [available.find((m) => m in device.metrics) ?? available[0]].filter(Boolean);
  }
  chart.innerHTML = controls(kind);
  for (const button of chart.querySelectorAll('.chart-range'))
    button.onclick = () => {
      chartState.range = button.dataset.range;
      void drawChart(device, kind);
    };
  for (const box of chart.querySelectorAll('.chart-metric'))
    box.onchange = () => {
      chartState.metrics = [...chart.querySelectorAll('.chart-metric:checked')].map((b) => b.value);
      void drawChart(device, kind);
    };
  $('chart-csv').onclick = () => exportCsv(device, kind);
  if (chartState.metrics.length === 0) return;
  const { hours, bucket } = ranges[chartState.range];
  const from = new Date(Date.now() - hours * 3600_000).toISOString();
  const data = await api(
    'GET',
    `/api/v1/devices/${device.id}/telemetry?metric=${chartState.metrics.join(',')}&bucket=${bucket}&from=${from}`,
  );
  if (!data || !$('chart-plot')) return;
  plot(kind, data.points);
}

function plot(kind, points) {
  const times = [...new Set(points.map((p) => Date.parse(p.ts) / 1000))].sort((a, b) => a - b);
  const index = new Map(times.map((ts, i) => [ts, i]));
  const series = chartState.metrics.map((m) => {
    const values = new Array(times.length).fill(null);
    for (const p of points) if (p.metric === m) values[index.get(Date.parse(p.ts) / 1000)] = p.avg;
    return values;
  });
  chartState.shown = { times, series, points, metrics: [...chartState.metrics] };
  const units = [...new Set(chartState.metrics.map((m) => kind.metrics[m].unit))];
  const width = Math.max(320, $('chart').clientWidth || 380);
  const span = times.length > 1 ? times.at(-1) - times[0] : 3600;
  chartState.plot?.destroy();
  $('chart-summary').textContent =
    points.length === 0
      ? t('noData')
      : chartState.metrics
          .map((m) => {
            const own = points.filter((p) => p.metric === m);
            if (own.length === 0) return `${kind.metrics[m].name[state.lang]}: ${t('noData')}`;
            const min = Math.min(...own.map((p) => p.min));
            const max = Math.max(...own.map((p) => p.max));
            return `${kind.metrics[m].name[state.lang]}: ${formatNumber(min, 2)} – ${formatNumber(max, 2)} ${kind.metrics[m].unit}`;
          })
          .join(' · ');
  chartState.plot = new window.uPlot(
    {
      width,
      height: 220,
      tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), timeZone),
      legend: { live: true },
      scales: Object.fromEntries(units.map((u) => [u, { auto: true }])),
      axes: [
        { values: timeTicks(span), label: t('timeAxis') },
        ...units.map((u, i) => ({
          scale: u,
          side: i === 0 ? 3 : 1,
          label: u,
          values: (_u, splits) => splits.map((v) => formatNumber(v, 2)),
          grid: { show: i === 0 },
        })),
      ],
      series: [
        {
          label: t('timeAxis'),
          value: (_u, ts) => (ts == null ? '' : new Date(ts * 1000).toLocaleString(locale(), { timeZone })),
        },
        ...chartState.metrics.map((m, i) => ({
          label: `${kind.metrics[m].name[state.lang]} (${kind.metrics[m].unit})`,
          scale: kind.metrics[m].unit,
          stroke: palette[i % palette.length],
          width: 2,
          spanGaps: false,
          value: (_u, v) => (v == null ? '–' : formatNumber(v, 2)),
        })),
      ],
    },
    [times, ...series],
    $('chart-plot'),
  );
}

/** The buckets drawn, one row each, with plain decimal points so spreadsheets read them anywhere. */
function exportCsv(device, kind) {
  const shown = chartState.shown;
  if (!shown) return;
  const header =
    'thời gian / time,chỉ số / metric,đơn vị / unit,tb / avg,thấp nhất / min,cao nhất / max,số đo / count';
  const rows = shown.points
    .filter((p) => shown.metrics.includes(p.metric))
    .map((p) => [p.ts, p.metric, kind.metrics[p.metric]?.unit ?? '', p.avg, p.min, p.max, p.count].join(','));
  const blob = new Blob([`\ufeff${[header, ...rows].join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = `${device.id}-${chartState.range}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
