import { describe, expect, it } from 'vitest';
import { parseExposition } from './exposition.js';
import { bucketQuantile, gaugeSeries, increases, quantileSeries, rateSeries, ratioSeries, scrapedUpSeries, type ScrapeTarget, type Tick } from './samples.js';

const targets: ScrapeTarget[] = [
  { service: 'api-1', group: 'api' },
  { service: 'notifier', group: 'worker' },
];
const s = (name: string, labels: Record<string, string>, value: number) => ({ name, labels, value });

describe('exposition', () => {
  it('reads samples with labels, escapes, +Inf and keeps only the families asked for', () => {
    const text = [
      '# HELP eventflow_dependency_up up',
      '# TYPE eventflow_dependency_up gauge',
      'eventflow_dependency_up{dependency="postgres",node="api-1"} 0',
      'eventflow_http_request_duration_seconds_bucket{le="+Inf",route="/a\\"b"} 7',
      'process_cpu_seconds_total 12.5',
      'garbage line here',
    ].join('\n');
    expect(parseExposition(text, ['eventflow_dependency_up', 'eventflow_http_request_duration_seconds'])).toEqual([
      s('eventflow_dependency_up', { dependency: 'postgres', node: 'api-1' }, 0),
      s('eventflow_http_request_duration_seconds_bucket', { le: '+Inf', route: '/a"b' }, 7),
    ]);
    expect(parseExposition(text)).toHaveLength(3);
  });
});

describe('series from ticks', () => {
  const ticks: Tick[] = [0, 250, 500, 750, 1000, 1250].map((atMs, i) => ({
    atMs,
    scrapes: {
      'api-1':
        i === 3
          ? null
          : [
              s('eventflow_dependency_up', { dependency: 'postgres' }, i >= 2 ? 0 : 1),
              // a label set born at tick 2 counts from 0
              ...(i >= 2 ? [s('eventflow_purchases_total', { outcome: 'accepted_async' }, i * 2)] : []),
              s('eventflow_purchases_total', { outcome: 'confirmed' }, i < 2 ? i * 4 : 4),
            ],
      notifier: [s('eventflow_dependency_up', { dependency: 'postgres' }, 1), s('eventflow_dependency_up', { dependency: 'rabbitmq' }, 1)],
    },
  }));

  it('gauges per service: a dependency a service does not use is absent, not 0', () => {
    const up = gaugeSeries(ticks, targets, { name: 'eventflow_dependency_up', services: () => true, legend: (x, t) => ({ service: t.service, dependency: x.labels.dependency! }) });
    expect(up.map((x) => `${x.labels.service}/${x.labels.dependency}`)).toEqual(['api-1/postgres', 'notifier/postgres', 'notifier/rabbitmq']);
    expect(up[0]!.points).toEqual([[0, 1], [250, 1], [500, 0], [1000, 0], [1250, 0]]);
  });

  it('scrape up/down per service', () => {
    const up = scrapedUpSeries(ticks, targets, (t) => t.group === 'api');
    expect(up[0]!.points.map((p) => p[1])).toEqual([1, 1, 1, 0, 1, 1]);
  });

  it('rates over a sliding window, a new label set from 0, a missed scrape skipped', () => {
    const inc = increases(ticks, targets, { name: 'eventflow_purchases_total', services: (t) => t.group === 'api', legend: (x) => ({ outcome: x.labels.outcome! }) }, 500);
    const rates: Record<string, [number, number][]> = Object.fromEntries(rateSeries(inc).map((x) => [x.labels.outcome!, x.points]));
    // tick 2 (500 ms) vs tick 0: confirmed 0 → 4 over 0.5 s; accepted_async born at 4
    expect(rates.confirmed![1]).toEqual([500, 8]);
    expect(rates.accepted_async![0]).toEqual([500, 8]);
    // tick 4 (1000 ms) looks back to tick 2 (500 ms): async 4 → 8 over 0.5 s
    expect(rates.accepted_async!.find((p) => p[0] === 1000)).toEqual([1000, 8]);
    // tick 3: api-1 did not answer; tick 5 looks back to tick 3: nothing known
    expect(rates.confirmed!.some((p) => p[0] === 750 || p[0] === 1250)).toBe(false);
  });

  it('ratio only where the denominator grew; quantiles like histogram_quantile', () => {
    const w = (atMs: number, entries: [Record<string, string>, number][]) => ({ atMs, seconds: 1, byLegend: new Map(entries.map(([l, inc]) => [JSON.stringify(Object.entries(l).sort()), { labels: l, inc }])) });
    const den = [w(1, [[{ job: 'api' }, 4]]), w(2, [[{ job: 'api' }, 0]])];
    const num = [w(1, [[{ job: 'api' }, 1]])];
    expect(ratioSeries(num, den)).toEqual([{ labels: { job: 'api' }, points: [[1, 0.25]] }]);
    expect(bucketQuantile(0.5, [[0.1, 2], [0.5, 4], [Infinity, 4]])).toBeCloseTo(0.1);
    expect(bucketQuantile(0.95, [[0.1, 0], [0.5, 10], [Infinity, 10]])).toBeCloseTo(0.48);
    expect(bucketQuantile(0.95, [[0.1, 0], [Infinity, 0]])).toBeUndefined();
    const q = quantileSeries(0.5, [w(1, [[{ job: 'api', le: '0.1' }, 2], [{ job: 'api', le: '0.5' }, 4], [{ job: 'api', le: '+Inf' }, 4]])]);
    expect(q[0]!.labels).toEqual({ job: 'api' });
    expect(q[0]!.points[0]![1]).toBeCloseTo(0.1);
  });
});
