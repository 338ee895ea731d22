import client from 'prom-client';
import type { BreakerState } from './db.js';

export type Dependency = 'postgres' | 'redis' | 'rabbitmq';

/** The bounded label sets of the contract's labelled counters. */
export const PURCHASE_OUTCOMES = ['confirmed', 'accepted_async', 'rejected', 'refused', 'unknown', 'invalid'] as const;
export const CACHE_RESULTS = ['hit', 'miss', 'error'] as const;
export const NOTIFIER_RESULTS = ['confirmed', 'rejected', 'duplicate'] as const;
export const DEAD_LETTER_REASONS = ['invalid_json', 'invalid_schema', 'unknown_event', 'max_attempts'] as const;

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** Every metric of the contract, on a registry of its own (several apps may share one process in tests). */
export function createMetrics(service: string, node: string, opts: { defaultMetrics?: boolean } = {}) {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service, node });
  if (opts.defaultMetrics) client.collectDefaultMetrics({ register: registry, prefix: 'eventflow_process_' });
  const registers = [registry];
  const m = {
    registry,
    httpDuration: new client.Histogram({
      name: 'eventflow_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    purchases: new client.Counter({
      name: 'eventflow_purchases_total',
      help: 'Purchase requests by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    dependencyUp: new client.Gauge({
      name: 'eventflow_dependency_up',
      help: '1 when the dependency answered the last probe',
      labelNames: ['dependency'] as const,
      registers,
    }),
    breakerState: new client.Gauge({
      name: 'eventflow_circuit_breaker_state',
      help: 'Circuit breaker state (0 closed, 1 half-open, 2 open)',
      labelNames: ['dependency'] as const,
      registers,
    }),
    cacheRequests: new client.Counter({
      name: 'eventflow_cache_requests_total',
      help: 'Cache lookups by result',
      labelNames: ['result'] as const,
      registers,
    }),
    notifierMessages: new client.Counter({
      name: 'eventflow_notifier_messages_total',
      help: 'Purchase messages processed by result',
      labelNames: ['result'] as const,
      registers,
    }),
    notifierRetries: new client.Counter({ name: 'eventflow_notifier_retries_total', help: 'Messages sent to the retry queue', registers }),
    notifierDeadLettered: new client.Counter({
      name: 'eventflow_notifier_dead_lettered_total',
      help: 'Messages dead-lettered by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    queueMessages: new client.Gauge({
      name: 'eventflow_notifier_queue_messages',
      help: 'Messages ready in each queue',
      labelNames: ['queue'] as const,
      registers,
    }),
    snapshotAge: new client.Gauge({
      name: 'eventflow_analytics_snapshot_age_seconds',
      help: 'Age of the analytics snapshot being served',
      registers,
    }),
    /**
     * Every labelled counter with a bounded label set starts at 0 for each value (docs/architecture.md
     * "Metrics"), so dashboards and rate() have a series before the first event.
     */
    initCounters(): void {
      // only the counters the service itself increments (an api node exporting notifier series would mislead)
      if (service === 'api') {
        for (const outcome of PURCHASE_OUTCOMES) m.purchases.inc({ outcome }, 0);
        for (const result of CACHE_RESULTS) m.cacheRequests.inc({ result }, 0);
      }
      if (service === 'notifier') {
        for (const result of NOTIFIER_RESULTS) m.notifierMessages.inc({ result }, 0);
        for (const reason of DEAD_LETTER_REASONS) m.notifierDeadLettered.inc({ reason }, 0);
      }
    },
    setBreaker(state: BreakerState, dependency: Dependency = 'postgres'): void {
      m.breakerState.set({ dependency }, BREAKER_VALUE[state]);
    },
    setUp(dependency: Dependency, up: boolean): void {
      m.dependencyUp.set({ dependency }, up ? 1 : 0);
    },
  };
  m.initCounters();
  return m;
}
export type Metrics = ReturnType<typeof createMetrics>;
