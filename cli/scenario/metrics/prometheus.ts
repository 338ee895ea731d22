/**
 * Key series of a scenario run, read back from the stack's Prometheus over the
 * run window (HTTP API `query_range`): the fallback of the metrics capture when
 * the services' own /metrics cannot be sampled (metrics-capture.ts), and what
 * the dashboard tests compare with. Its resolution is the scrape interval.
 *
 * Points are `[unixMs, value]`; NaN/±Inf samples (e.g. a ratio over no traffic)
 * are dropped because JSON cannot carry them. Only the Prometheus URL given is
 * contacted (the stack's loopback endpoint).
 */
import { parse } from 'yaml';

import type { MetricsChart, MetricsSeries } from '../../../reports/model.js';

export interface KeySeries extends MetricsChart {
  /** Legend label of each returned series. */
  legend: string;
  query(rateWindow: string): string;
}

/** What a report draws. Metric names: docs/architecture.md "Metrics". */
export const KEY_SERIES: KeySeries[] = [
  {
    key: 'queue_depth',
    title: 'RabbitMQ backlog (messages)',
    unit: 'count',
    legend: 'queue',
    query: () => 'max by (queue) (eventflow_notifier_queue_messages)',
  },
  {
    key: 'purchases_by_outcome',
    title: 'Purchases per second by outcome',
    unit: 'per_second',
    legend: 'outcome',
    query: (w) => `sum by (outcome) (rate(eventflow_purchases_total[${w}]))`,
  },
  {
    key: 'dependency_up',
    title: 'Dependency up (1) / down (0), per service',
    unit: 'up',
    legend: 'dependency',
    // Per node: a service that does not use a dependency exports no series for it (absent, not 0).
    query: () => 'max by (node, dependency) (eventflow_dependency_up)',
  },
  {
    key: 'api_nodes_up',
    title: 'api nodes scraped up',
    unit: 'up',
    legend: 'instance',
    query: () => 'up{job="api"}',
  },
  {
    key: 'request_rate_by_node',
    title: 'Requests per second per node',
    unit: 'per_second',
    legend: 'node',
    query: (w) => `sum by (node) (rate(eventflow_http_request_duration_seconds_count{job="api"}[${w}]))`,
  },
  {
    key: 'error_ratio',
    title: 'Share of api requests answered 5xx',
    unit: 'ratio',
    legend: 'job',
    query: (w) =>
      `(sum by (job) (rate(eventflow_http_request_duration_seconds_count{job="api", status_code=~"5.."}[${w}])) ` +
      `or sum by (job) (rate(eventflow_http_request_duration_seconds_count{job="api"}[${w}])) * 0) ` +
      `/ sum by (job) (rate(eventflow_http_request_duration_seconds_count{job="api"}[${w}]))`,
  },
  {
    key: 'latency_p95_seconds',
    title: 'api p95 latency (s)',
    unit: 'seconds',
    legend: 'job',
    query: (w) => `histogram_quantile(0.95, sum by (job, le) (rate(eventflow_http_request_duration_seconds_bucket{job="api"}[${w}])))`,
  },
  {
    key: 'notifier_drain_rate',
    title: 'Messages the notifier finished per second',
    unit: 'per_second',
    legend: 'result',
    query: (w) => `sum by (result) (rate(eventflow_notifier_messages_total[${w}]))`,
  },
];

const MAX_POINTS = 600;
const REQUEST_TIMEOUT_MS = 15_000;

/** "1m30s" → 90. */
export function durationSeconds(d: string): number {
  let total = 0;
  let matched = '';
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g)) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 }[m[2] as 'ms']!;
    matched += m[0];
  }
  if (!matched || matched !== d.trim()) throw new Error(`not a Prometheus duration: "${d}"`);
  return total;
}

/** Grafana's $__rate_interval: max(step + scrape interval, 4 × scrape interval). */
export function rateWindowSeconds(stepSeconds: number, scrapeSeconds: number): number {
  return Math.max(stepSeconds + scrapeSeconds, 4 * scrapeSeconds);
}

export function stepSecondsFor(startMs: number, endMs: number, scrapeSeconds: number): number {
  return Math.max(Math.ceil((endMs - startMs) / 1000 / MAX_POINTS), Math.ceil(scrapeSeconds));
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), headers: { accept: 'application/json' } });
  const text = await res.text();
  let body: { status?: string; error?: string; data?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new Error(`${url.split('?')[0]}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok || body.status !== 'success') throw new Error(`${url.split('?')[0]}: HTTP ${res.status}: ${body.error ?? text.slice(0, 200)}`);
  return body.data;
}

/** The scrape interval from the server's loaded config (global.scrape_interval; Prometheus' default is 1m). */
export async function scrapeIntervalSeconds(prometheusUrl: string): Promise<number> {
  const data = (await getJson(`${trimSlash(prometheusUrl)}/api/v1/status/config`)) as { yaml?: string };
  const cfg = parse(data.yaml ?? '') as { global?: { scrape_interval?: string } } | null;
  return durationSeconds(cfg?.global?.scrape_interval ?? '1m');
}

export interface RangeResult {
  labels: Record<string, string>;
  points: [number, number][];
}

/** One `query_range`, points as [unixMs, value] without NaN/Inf. */
export async function queryRange(prometheusUrl: string, query: string, startMs: number, endMs: number, stepSeconds: number): Promise<RangeResult[]> {
  const params = new URLSearchParams({
    query,
    start: (startMs / 1000).toFixed(3),
    end: (endMs / 1000).toFixed(3),
    step: String(stepSeconds),
  });
  const data = (await getJson(`${trimSlash(prometheusUrl)}/api/v1/query_range?${params}`)) as {
    resultType: string;
    result: { metric: Record<string, string>; values: [number, string][] }[];
  };
  if (data.resultType !== 'matrix') throw new Error(`query_range returned ${data.resultType}, expected matrix`);
  return data.result.map((r) => ({
    labels: r.metric,
    points: r.values
      .map(([t, v]): [number, number] => [Math.round(t * 1000), Number(v)])
      .filter(([, v]) => Number.isFinite(v)),
  }));
}

/**
 * The report's key series (KEY_SERIES) over [startMs, endMs]. A query that
 * fails yields an empty list for its key; when Prometheus cannot be reached at
 * all, this throws (the caller records a warning).
 */
export async function captureSeries(prometheusUrl: string, startMs: number, endMs: number): Promise<MetricsSeries> {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs) || endMs <= startMs) {
    throw new Error(`captureSeries: bad window ${startMs}..${endMs}`);
  }
  const scrape = await scrapeIntervalSeconds(prometheusUrl); // also proves Prometheus answers
  const step = stepSecondsFor(startMs, endMs, scrape);
  const window = `${rateWindowSeconds(step, scrape)}s`;
  const results = await Promise.allSettled(KEY_SERIES.map((k) => queryRange(prometheusUrl, k.query(window), startMs, endMs, step)));
  const out: MetricsSeries = {};
  KEY_SERIES.forEach((k, i) => {
    const r = results[i]!;
    out[k.key] = r.status === 'fulfilled' ? r.value.filter((s) => s.points.length > 0) : [];
  });
  if (results.every((r) => r.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason;
  return out;
}

function trimSlash(u: string): string {
  return u.replace(/\/+$/, '');
}
