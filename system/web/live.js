// Live panel: the last minutes of the stack from Prometheus, read through the gateway's
// read-only proxy (/prometheus/api/v1/query_range), so it works with either image set —
// Grafana or not. Metric names: docs/architecture.md ("Metrics").
import { lineChart, stripChart } from './charts.js';

const WINDOW_S = 10 * 60;
const STEP_S = 5; // the stack's scrape interval
const REFRESH_MS = 5000;
const TIMEOUT_MS = 8000;
const MIN_SPAN_S = 120;
const MAX_LISTED = 5; // most recent outage windows listed in words

const OUTCOMES = [
  { name: 'confirmed', label: 'confirmed', color: '#1a7f37' },
  { name: 'accepted_async', label: 'accepted async', color: '#d97706' },
  { name: 'refused', label: 'refused (503)', color: '#c0262d' },
];
const QUEUES = [
  { name: 'purchases', label: 'purchases queue', color: '#2d5bd0' },
  { name: 'retry', label: 'retry queue', color: '#8250df' },
];
const DEP_NAMES = { postgres: 'PostgreSQL', redis: 'Redis', rabbitmq: 'RabbitMQ' };

// rate() over 4 scrapes: a short burst of purchases still shows; counters start at 0 (architecture.md).
const QUERIES = {
  purchases: 'sum by (outcome) (rate(eventflow_purchases_total{outcome=~"confirmed|accepted_async|refused"}[20s]))',
  queue: 'max by (queue) (eventflow_notifier_queue_messages{queue=~"purchases|retry"})',
  deps: 'max by (node, dependency) (eventflow_dependency_up)',
  // A node Prometheus cannot scrape is down (its own gauges stop, they do not turn 0).
  nodes: 'label_replace(max by (instance) (up{job=~"api|notifier|analytics"}), "node", "$1", "instance", "([^:]+):.*")',
};

// The files in dashboards/json (uid, title); system/web/gui.test.ts fails when they drift apart.
export const GRAFANA_DASHBOARDS = [
  { uid: 'eventflow-resilience', title: 'Resilience' },
  { uid: 'eventflow-runtime', title: 'Services & runtime' },
];

const $ = (id) => document.getElementById(id);

async function queryRange(expr, start, end) {
  const url = `/prometheus/api/v1/query_range?${new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(STEP_S) })}`;
  const res = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS), headers: { accept: 'application/json' } });
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`Prometheus answered HTTP ${res.status} without JSON`);
  }
  if (body.status !== 'success') throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.data.result.map((r) => ({ metric: r.metric, points: r.values.map(([t, v]) => [Number(t), Number(v)]).filter(([, v]) => Number.isFinite(v)) }));
}

/** Steps where something is down, merged into windows: [{from, to, what: Set}]. */
export function faultWindows(rows, step) {
  const downAt = new Map();
  for (const row of rows) {
    for (const [t, v] of row.samples) {
      if (v > 0) continue;
      if (!downAt.has(t)) downAt.set(t, new Set());
      downAt.get(t).add(row.what);
    }
  }
  const windows = [];
  for (const t of [...downAt.keys()].sort((a, b) => a - b)) {
    const last = windows.at(-1);
    if (last && t - last.to <= step * 1.5) {
      last.to = t;
      for (const w of downAt.get(t)) last.what.add(w);
    } else windows.push({ from: t, to: t, what: new Set(downAt.get(t)) });
  }
  // A window spans the steps it covers.
  return windows.map((w) => ({ ...w, from: w.from - step / 2, to: w.to + step / 2 }));
}

const state = { data: undefined, grafana: false, error: undefined, updated: undefined };

async function load() {
  const end = Math.floor(Date.now() / 1000 / STEP_S) * STEP_S;
  const start = end - WINDOW_S;
  try {
    const [purchases, queue, deps, nodes] = await Promise.all([QUERIES.purchases, QUERIES.queue, QUERIES.deps, QUERIES.nodes].map((q) => queryRange(q, start, end)));
    state.data = { start, end, purchases, queue, deps, nodes };
    state.error = undefined;
    state.updated = new Date();
  } catch (e) {
    state.error = e?.name === 'TimeoutError' || e?.name === 'AbortError' ? 'timed out' : String(e?.message ?? e);
  }
  render();
}

/**
 * A series born inside the window (a node or probe that was starting) begins with zeros until its
 * first success: that is start-up, not an outage. A series older than the window keeps its zeros.
 */
export function withoutStartup(points, windowStart) {
  if (points.length === 0 || points[0][0] <= windowStart + STEP_S) return points;
  const firstUp = points.findIndex(([, v]) => v > 0);
  return firstUp < 0 ? [] : points.slice(firstUp);
}

function strips(d) {
  const rows = [];
  for (const n of [...d.nodes].sort((a, b) => String(a.metric.node).localeCompare(String(b.metric.node)))) {
    const node = n.metric.node ?? n.metric.instance ?? '?';
    rows.push({ label: `${node} (node)`, what: node, node, dependency: 'node', samples: withoutStartup(n.points, d.start) });
  }
  const deps = [...d.deps].sort((a, b) => `${a.metric.dependency} ${a.metric.node}`.localeCompare(`${b.metric.dependency} ${b.metric.node}`));
  for (const s of deps) {
    const { node = '?', dependency = '?' } = s.metric;
    rows.push({ label: `${node} → ${DEP_NAMES[dependency] ?? dependency}`, what: dependency, node, dependency, samples: withoutStartup(s.points, d.start) });
  }
  return rows;
}

function lastState(samples, end) {
  const last = samples.at(-1);
  if (!last || end - last[0] > STEP_S * 3) return 'none';
  return last[1] > 0 ? 'up' : 'down';
}

function grafanaHref(uid, from, to) {
  return `/grafana/d/${uid}?orgId=1&from=${from}&to=${to}${to === 'now' ? '&refresh=5s' : ''}`;
}

function render() {
  const card = $('live-card');
  $('live-status').textContent = state.error
    ? `Live view unavailable: ${state.error}. It reads Prometheus through this gateway (/prometheus/).`
    : state.updated
      ? `Prometheus, every ${STEP_S} s · updated ${state.updated.toLocaleTimeString()}`
      : 'loading…';
  $('live-status').className = `small ${state.error ? 'error' : 'muted'}`;
  const d = state.data;
  if (!d) return;
  const rows = strips(d);
  const windows = faultWindows(rows, STEP_S);
  const label = (w) => `${[...w.what].map((x) => DEP_NAMES[x] ?? x).join(', ')} down`;
  const faults = windows.map((w) => ({ from: w.from, to: w.to, label: label(w) }));

  const series = (list, defs, key) =>
    defs.map((def) => ({ ...def, points: list.find((s) => s.metric[key] === def.name)?.points ?? [] }));
  // A young stack has data for the last minute only: show from its first sample (at least 2 minutes).
  const earliest = Math.min(...[d.purchases, d.queue, d.deps, d.nodes].flat().map((x) => x.points[0]?.[0] ?? d.end));
  const from = Math.min(d.end - MIN_SPAN_S, Math.max(d.start, earliest - STEP_S));
  const purchaseSeries = series(d.purchases, OUTCOMES, 'outcome');
  const queueSeries = series(d.queue, QUEUES, 'queue');
  lineChart($('chart-purchases'), { from, to: d.end, step: STEP_S, series: purchaseSeries, faults });
  lineChart($('chart-queue'), { from, to: d.end, step: STEP_S, series: queueSeries, faults, height: 130 });
  stripChart($('live-strips'), {
    from,
    to: d.end,
    step: STEP_S,
    faults,
    rows: rows.map((r) => ({ label: r.label, samples: r.samples, attrs: { 'data-node': r.node, 'data-dependency': r.dependency, 'data-now': lastState(r.samples, d.end), 'data-down-samples': String(r.samples.filter(([, v]) => v <= 0).length) } })),
  });
  legend($('legend-purchases'), purchaseSeries, '/s');
  legend($('legend-queue'), queueSeries, '');

  const downNow = [...new Set(rows.filter((r) => lastState(r.samples, d.end) === 'down').map((r) => r.what))];
  card.dataset.downNow = downNow.join(',');
  const shown = windows.slice(-MAX_LISTED);
  const earlier = windows.length - shown.length;
  $('live-faults').replaceChildren(
    ...(earlier > 0 ? [item(`… ${earlier} earlier window(s) with something down, shaded on the charts`, 'muted')] : []),
    ...(windows.length === 0
      ? [item('No outage in the last 10 minutes: every dependency answered every node.', 'muted')]
      : shown.map((w) => {
          const li = item(`${label(w)} ${clockOf(w.from)} – ${w.to >= d.end - STEP_S ? 'now' : clockOf(w.to)} (${Math.round(w.to - w.from)} s)`);
          li.setAttribute('data-testid', 'fault-window');
          li.dataset.what = [...w.what].join(',');
          if (state.grafana) {
            const a = document.createElement('a');
            a.href = grafanaHref(GRAFANA_DASHBOARDS[0].uid, Math.round((w.from - 60) * 1000), Math.round((w.to + 60) * 1000));
            a.textContent = 'in Grafana';
            a.target = '_blank';
            li.append(' · ', a);
          }
          return li;
        })),
  );
}

const clockOf = (t) => new Date(t * 1000).toLocaleTimeString();

function item(text, cls) {
  const li = document.createElement('li');
  li.textContent = text;
  if (cls) li.className = cls;
  return li;
}

function legend(box, series, unit) {
  box.replaceChildren(
    ...series.map((s) => {
      const values = s.points.map((p) => p[1]);
      const now = values.at(-1);
      const max = values.length ? Math.max(...values) : undefined;
      const span = document.createElement('span');
      span.className = 'legend-item';
      span.setAttribute('data-testid', `legend-${s.name}`);
      span.dataset.max = max === undefined ? '' : String(max);
      span.dataset.now = now === undefined ? '' : String(now);
      const swatch = document.createElement('i');
      swatch.style.background = s.color;
      const text = max === undefined ? `${s.label}: no data` : `${s.label}: ${round(now)}${unit} now, max ${round(max)}${unit}`;
      span.append(swatch, text);
      return span;
    }),
  );
}

const round = (v) => (v >= 10 ? Math.round(v) : Math.round(v * 100) / 100);

/** Grafana comes with the official image set only; NGINX answers 404 under /grafana/ without it. */
async function detectGrafana() {
  try {
    const res = await fetch('/grafana/api/health', { cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
    state.grafana = res.ok && (await res.json().catch(() => undefined))?.database === 'ok';
  } catch {
    state.grafana = false;
  }
  const p = $('grafana-links');
  p.hidden = !state.grafana;
  if (!state.grafana) return;
  p.replaceChildren(
    'Grafana dashboards (last 15 minutes): ',
    ...GRAFANA_DASHBOARDS.flatMap((g, i) => {
      const a = document.createElement('a');
      a.href = grafanaHref(g.uid, 'now-15m', 'now');
      a.textContent = g.title;
      a.target = '_blank';
      return i ? [' · ', a] : [a];
    }),
  );
}

export function startLivePanel() {
  let running = false;
  const tick = async () => {
    if (running || document.hidden) return;
    running = true;
    try {
      await load();
    } finally {
      running = false;
    }
  };
  detectGrafana().then(render);
  tick();
  setInterval(tick, REFRESH_MS);
  let resize;
  window.addEventListener('resize', () => {
    clearTimeout(resize);
    resize = setTimeout(render, 150);
  });
}
