/**
 * The report's metrics charts (inline SVG, on the run's time axis, fault
 * windows shaded on every chart). Up/down series are drawn as status strips,
 * the rest as lines with their scale; a chart without data says so in words.
 */
import type { MetricsChart, MetricsSeries, MetricUnit, RunReport } from '../model.js';
import { esc } from './format.js';

type Series = MetricsSeries[string][number];

const PALETTE = ['#3b6fd4', '#2e9d57', '#e3a008', '#d93f3f', '#8c5cd6', '#1aa3a3', '#c2185b', '#6d4c41', '#455a64', '#7cb342', '#f57c00', '#5e35b1'];

const UNIT_LABEL: Record<MetricUnit, string> = { count: 'messages', per_second: 'per second', ratio: 'share', seconds: 'seconds', up: '1 up · 0 down' };

/** The charts' drawing width: close to their width on screen, so text keeps its shape. */
interface ChartFrame {
  W: number;
  x: (t: number) => number;
  report: RunReport;
}

function frameOf(report: RunReport): ChartFrame {
  const W = 480;
  const span = Math.max(1, report.endMs - report.startMs);
  return { W, report, x: (t) => Math.max(0, Math.min(W, ((t - report.startMs) / span) * W)) };
}

const labelText = (s: Series) => Object.values(s.labels).join(' · ') || 'value';

function fmtValue(v: number, unit: MetricUnit): string {
  if (unit === 'ratio') return `${Number((v * 100).toPrecision(3))} %`;
  if (unit === 'seconds') return v >= 1 ? `${Number(v.toPrecision(3))} s` : `${Number((v * 1000).toPrecision(3))} ms`;
  return String(Number(v.toPrecision(3)));
}

function faultShades(f: ChartFrame, height: number): string {
  return f.report.faultWindows
    .map((w) => {
      const x1 = f.x(w.startMs);
      const x2 = f.x(w.endMs ?? f.report.endMs);
      return `<rect class="fault-window" x="${x1.toFixed(1)}" y="0" width="${Math.max(2, x2 - x1).toFixed(1)}" height="${height}"><title>${esc(`${w.action} ${w.service}`)}</title></rect>`;
    })
    .join('');
}

/** Consecutive points closer than `maxGapMs`: a line must not bridge a stretch without data (no traffic, no answer). */
function runsOf(points: readonly [number, number][], maxGapMs: number): [number, number][][] {
  const out: [number, number][][] = [];
  for (const p of points) {
    const last = out.at(-1);
    if (last && p[0] - last.at(-1)![0] <= maxGapMs) last.push(p);
    else out.push([p]);
  }
  return out;
}

function lineChart(f: ChartFrame, unit: MetricUnit, series: Series[], maxGapMs: number): string {
  const H = 130;
  const values = series.flatMap((s) => s.points.map((p) => p[1]));
  const max = Math.max(...values, unit === 'ratio' ? 0.01 : 1e-9);
  const top = max > 0 ? max * 1.08 : 1;
  const y = (v: number) => H - 14 - (Math.max(0, v) / top) * (H - 24);
  const lines = series
    .map((s, i) => {
      const color = PALETTE[i % PALETTE.length];
      return runsOf(s.points, maxGapMs)
        .map((run) => {
          // A sample alone is a dot: a polyline of one point draws nothing.
          if (run.length === 1) return `<circle class="series" cx="${f.x(run[0]![0]).toFixed(1)}" cy="${y(run[0]![1]).toFixed(1)}" r="2.5" fill="${color}"><title>${esc(labelText(s))}</title></circle>`;
          const d = run.map((p) => `${f.x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
          return `<polyline class="series" fill="none" stroke="${color}" stroke-width="1.6" points="${d}"><title>${esc(labelText(s))}</title></polyline>`;
        })
        .join('');
    })
    .join('');
  const axis = `<line class="grid" x1="0" x2="${f.W}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}"/><text class="axis" x="2" y="${(y(0) - 2).toFixed(1)}">0</text><line class="grid" x1="0" x2="${f.W}" y1="${y(max).toFixed(1)}" y2="${y(max).toFixed(1)}"/><text class="axis" x="2" y="${(y(max) - 2).toFixed(1)}">${esc(fmtValue(max, unit))}</text>`;
  const legend = series.map((s, i) => `<span><span class="sw" style="background:${PALETTE[i % PALETTE.length]}"></span>${esc(labelText(s))}</span>`).join(' ');
  return `<svg viewBox="0 0 ${f.W} ${H}" preserveAspectRatio="none" role="img">${faultShades(f, H - 14)}${axis}${lines}${timeAxis(f, H)}</svg><p class="chart-legend">${legend}</p>`;
}

/** One row per series: green while 1, red while 0, each sample held until the next. */
function stripChart(f: ChartFrame, series: Series[]): string {
  const row = 14;
  const H = series.length * row + 16;
  const rows = series
    .map((s, r) => {
      const yy = r * row + 1;
      const segs = s.points
        .map((p, i) => {
          const x1 = f.x(p[0]);
          const x2 = f.x(s.points[i + 1]?.[0] ?? p[0]);
          // +0.6: neighbouring segments overlap instead of leaving hairline gaps
          return `<rect class="seg ${p[1] >= 1 ? 'up' : 'down'}" x="${x1.toFixed(1)}" y="${yy}" width="${Math.max(1.5, x2 - x1 + 0.6).toFixed(1)}" height="${row - 3}"/>`;
        })
        .join('');
      return `${segs}<text class="strip-label" x="${f.W - 4}" y="${yy + row - 5}" text-anchor="end">${esc(labelText(s))}</text>`;
    })
    .join('');
  return `<svg class="strips" viewBox="0 0 ${f.W} ${H}" preserveAspectRatio="none" role="img" style="height:${Math.max(40, H)}px">${faultShades(f, H - 14)}${rows}${timeAxis(f, H)}</svg><p class="chart-legend"><span class="sw" style="background:#2e9d57"></span>up <span class="sw" style="background:#d93f3f"></span>down</p>`;
}

function timeAxis(f: ChartFrame, H: number): string {
  const span = f.report.endMs - f.report.startMs;
  const tick = [500, 1000, 2000, 5000, 10000, 30000, 60000, 300000].find((s) => s >= span / 6) ?? 600000;
  const out: string[] = [];
  for (let t = 0; t <= span; t += tick) out.push(`<text class="axis" x="${f.x(f.report.startMs + t).toFixed(1)}" y="${H - 3}" text-anchor="${t === 0 ? 'start' : 'middle'}">${(t / 1000).toFixed(tick < 1000 ? 1 : 0)} s</text>`);
  return out.join('');
}

function chartsOf(report: RunReport): MetricsChart[] {
  return report.metricsInfo?.charts ?? Object.keys(report.metrics ?? {}).map((key) => ({ key, title: key, unit: 'count' as const }));
}

export function metricsSection(report: RunReport): string {
  if (!report.metrics) return '';
  const f = frameOf(report);
  const info = report.metricsInfo;
  const source = info
    ? info.source === 'service-endpoints'
      ? `sampled from each service's /metrics every ${info.intervalMs} ms during the run`
      : `read from Prometheus after the run (one point per ${info.intervalMs / 1000} s scrape)`
    : 'from Prometheus';
  // Bridging a few slow scrapes (a busy machine) is fine; bridging seconds without traffic is not.
  const maxGapMs = Math.max(3_000, 8 * (info?.intervalMs ?? 5_000));
  const figures = chartsOf(report)
    .map((c) => {
      const series = (report.metrics![c.key] ?? []).filter((s) => s.points.length > 0);
      const body = series.length
        ? c.unit === 'up'
          ? stripChart(f, series)
          : lineChart(f, c.unit, series, maxGapMs)
        : `<svg viewBox="0 0 ${f.W} 60" preserveAspectRatio="none" role="img">${faultShades(f, 60)}</svg><p class="nodata">No data: no service exported this metric while the run went on.</p>`;
      return `<figure class="metric${series.length ? '' : ' empty'}" data-key="${esc(c.key)}"><figcaption>${esc(c.title)} <span class="meta">${esc(UNIT_LABEL[c.unit])}</span></figcaption>${body}</figure>`;
    })
    .join('');
  return `<section id="metrics"><h2>Metrics</h2><p class="legend">${esc(source)} · <span class="sw fw"></span> fault window</p><div class="metrics">${figures}</div></section>`;
}

export const CHART_CSS = `
.metrics{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:10px}.metric{margin:0;background:#fff;border:1px solid var(--line);border-radius:8px;padding:6px}
.metric svg{width:100%;height:120px;display:block}.metric svg.strips{height:auto}.metric figcaption{font-size:.8rem;font-weight:600}.metric figcaption .meta{font-weight:400}
.chart-legend{font-size:.72rem;color:var(--muted);margin:2px 0 0}.chart-legend .sw{margin-left:6px;margin-right:3px}
.seg{shape-rendering:crispEdges}.seg.up{fill:#2e9d57}.seg.down{fill:#d93f3f}.strip-label{font-size:9px;fill:#1d2330;paint-order:stroke;stroke:#fff;stroke-width:3px}
.nodata{font-size:.85rem;color:var(--muted);margin:4px 2px}
`;
