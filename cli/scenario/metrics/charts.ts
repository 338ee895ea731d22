/**
 * What the report draws from the services' own /metrics, sampled during the
 * run: one entry per chart. Each chart is per service with the labels the
 * service itself exports, so a dependency a service does not use is absent
 * (never a 0 borrowed from an aggregation). Metric names: docs/architecture.md "Metrics".
 */
import type { MetricsChart } from '../../../reports/model.js';
import type { Sample } from './exposition.js';
import { gaugeSeries, increases, quantileSeries, rateSeries, ratioSeries, scrapedUpSeries, type DerivedSeries, type ScrapeTarget, type Selection, type Tick } from './samples.js';

export interface ChartSpec extends MetricsChart {
  derive(ticks: readonly Tick[], targets: readonly ScrapeTarget[], windowMs: number): DerivedSeries[];
}

const isApi = (t: ScrapeTarget) => t.group === 'api';
const anyService = () => true;
/** The scraper's own GETs of /metrics and the health probes are not the run's traffic. */
const isRunTraffic = (s: Sample) => s.labels.route !== '/metrics' && !(s.labels.route ?? '').startsWith('/health');
const only = (label: string) => (s: Sample) => (s.labels[label] === undefined ? undefined : { [label]: s.labels[label]! });

const HTTP_COUNT = 'eventflow_http_request_duration_seconds_count';
const HTTP_BUCKET = 'eventflow_http_request_duration_seconds_bucket';

const apiRequests = (legend: Selection['legend']): Selection => ({ name: HTTP_COUNT, services: isApi, legend: (s, t) => (isRunTraffic(s) ? legend(s, t) : undefined) });
const allApi = () => ({ nodes: 'all api nodes' });

export const CHARTS: ChartSpec[] = [
  {
    key: 'purchases_by_outcome',
    title: 'Purchases per second by outcome (all api nodes)',
    unit: 'per_second',
    derive: (ticks, targets, w) => rateSeries(increases(ticks, targets, { name: 'eventflow_purchases_total', services: isApi, legend: only('outcome') }, w)),
  },
  {
    key: 'queue_depth',
    title: 'RabbitMQ backlog (messages ready, as the notifier sees it)',
    unit: 'count',
    derive: (ticks, targets) => gaugeSeries(ticks, targets, { name: 'eventflow_notifier_queue_messages', services: anyService, legend: only('queue') }),
  },
  {
    key: 'dependency_up',
    title: 'Dependency up (1) / down (0), per service',
    unit: 'up',
    derive: (ticks, targets) =>
      gaugeSeries(ticks, targets, {
        name: 'eventflow_dependency_up',
        services: anyService,
        legend: (s, t) => (s.labels.dependency ? { service: t.service, dependency: s.labels.dependency } : undefined),
      }),
  },
  {
    key: 'services_up',
    title: 'Services answering /metrics',
    unit: 'up',
    derive: (ticks, targets) => scrapedUpSeries(ticks, targets, anyService),
  },
  {
    key: 'request_rate_by_node',
    title: 'API requests per second per node (without /metrics and /health)',
    unit: 'per_second',
    derive: (ticks, targets, w) => rateSeries(increases(ticks, targets, apiRequests((_, t) => ({ node: t.service })), w)),
  },
  {
    key: 'error_ratio',
    title: 'Share of API requests answered 5xx',
    unit: 'ratio',
    derive: (ticks, targets, w) =>
      ratioSeries(
        increases(ticks, targets, apiRequests((s) => ((s.labels.status_code ?? '').startsWith('5') ? allApi() : undefined)), w),
        increases(ticks, targets, apiRequests(allApi), w),
      ),
  },
  {
    key: 'latency_p95_seconds',
    title: 'API p95 latency (s)',
    unit: 'seconds',
    derive: (ticks, targets, w) =>
      quantileSeries(0.95, increases(ticks, targets, { name: HTTP_BUCKET, services: isApi, legend: (s) => (isRunTraffic(s) && s.labels.le ? { ...allApi(), le: s.labels.le } : undefined) }, w)),
  },
  {
    key: 'notifier_drain_rate',
    title: 'Messages the notifier finished per second',
    unit: 'per_second',
    derive: (ticks, targets, w) => rateSeries(increases(ticks, targets, { name: 'eventflow_notifier_messages_total', services: anyService, legend: only('result') }, w)),
  },
];

/** The metric families the charts read (everything else in a scrape is dropped at once). */
export const CHART_FAMILIES = [
  'eventflow_purchases_total',
  'eventflow_notifier_queue_messages',
  'eventflow_dependency_up',
  'eventflow_http_request_duration_seconds',
  'eventflow_notifier_messages_total',
] as const;
