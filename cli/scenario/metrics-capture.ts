/**
 * The engine's metrics capture (RunOptions.captureMetrics) as the CLI wires it:
 * the services' own /metrics (api nodes, notifier, analytics) sampled every
 * 250 ms from the start of the run to its end, drawn as the charts of
 * metrics/charts.ts. The stack's Prometheus scrapes every few seconds, which
 * leaves a run of a few seconds with one point or none; it is only the
 * fallback when no service can be sampled (e.g. a stack handle without
 * service addresses).
 */
import type { MetricsChart, MetricsSeries } from '../../reports/model.js';
import { ANALYTICS_PORT, API_PORT, NOTIFIER_PORT } from '../stack/addresses.js';
import type { ServiceGroup, StackHandle } from '../stack/types.js';
import type { CapturedMetrics, MetricsCapture, MetricsRecording } from './engine.js';
import { CHART_FAMILIES, CHARTS } from './metrics/charts.js';
import { captureSeries, KEY_SERIES, scrapeIntervalSeconds } from './metrics/prometheus.js';
import { startSampling, type MetricsEndpoint } from './metrics/sampler.js';
import type { ScrapeTarget, Tick } from './metrics/samples.js';

export { captureSeries, durationSeconds, KEY_SERIES, queryRange, rateWindowSeconds, stepSecondsFor } from './metrics/prometheus.js';

/** Where each group of the stack serves /metrics. */
const METRICS_PORTS: Partial<Record<ServiceGroup, number>> = { api: API_PORT, worker: NOTIFIER_PORT, analytics: ANALYTICS_PORT };

export const DEFAULT_SAMPLE_INTERVAL_MS = 250;

export async function metricsEndpointsOf(stack: StackHandle): Promise<MetricsEndpoint[]> {
  if (!stack.serviceAddress) return [];
  const wanted = (Object.entries(METRICS_PORTS) as [ServiceGroup, number][]).flatMap(([group, port]) => stack.servicesInGroup(group).map((service) => ({ service, group, port })));
  const found = await Promise.all(
    wanted.map(async (w): Promise<MetricsEndpoint | undefined> => {
      const at = await stack.serviceAddress!(w.service, w.port).catch(() => undefined);
      return at ? { service: w.service, group: w.group, url: `http://${at}/metrics` } : undefined;
    }),
  );
  return found.filter((e): e is MetricsEndpoint => e !== undefined);
}

/** Series of every chart from the sampled ticks; charts without data keep an empty list (the report says so). */
export function chartsFromTicks(ticks: readonly Tick[], targets: readonly ScrapeTarget[], intervalMs: number): MetricsSeries {
  const windowMs = Math.max(1_000, 4 * intervalMs);
  return Object.fromEntries(CHARTS.map((c) => [c.key, c.derive(ticks, targets, windowMs)]));
}

const chartInfo = (charts: readonly MetricsChart[]): MetricsChart[] => charts.map(({ key, title, unit }) => ({ key, title, unit }));

export function serviceMetricsCapture(opts: { intervalMs?: number; endpoints?: (stack: StackHandle) => Promise<MetricsEndpoint[]> } = {}): MetricsCapture {
  const intervalMs = opts.intervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS;
  const endpointsOf = opts.endpoints ?? metricsEndpointsOf;
  return {
    async start({ stack, endpoints: stackEndpoints, startMs }): Promise<MetricsRecording> {
      const fromPrometheus = async (endMs: number): Promise<CapturedMetrics | undefined> => {
        if (!stackEndpoints.prometheus) return undefined;
        const scrape = await scrapeIntervalSeconds(stackEndpoints.prometheus);
        return {
          series: await captureSeries(stackEndpoints.prometheus, Math.floor(startMs) - 5_000, Math.ceil(endMs) + 1_000),
          info: { source: 'prometheus', intervalMs: scrape * 1000, charts: chartInfo(KEY_SERIES) },
        };
      };
      const first = await endpointsOf(stack);
      if (!first.length) return { stop: fromPrometheus };
      const sampling = await startSampling({ endpoints: () => endpointsOf(stack), initial: first, intervalMs, families: CHART_FAMILIES });
      return {
        async stop(endMs) {
          const ticks = await sampling.stop();
          const answered = ticks.some((t) => Object.values(t.scrapes).some((s) => s !== null));
          if (!answered) return fromPrometheus(endMs);
          return { series: chartsFromTicks(ticks, sampling.targets, intervalMs), info: { source: 'service-endpoints', intervalMs, charts: chartInfo(CHARTS) } };
        },
      };
    },
  };
}
