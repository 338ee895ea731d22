/**
 * captureSeries against a real Prometheus (the host's Debian binary on a
 * loopback port) scraping a fake exporter that plays a short PostgreSQL outage.
 * The Docker image variant is test/observability/metrics-capture.itest.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeExporter, contractFamilies, freePort, prometheusMissing, startLocalPrometheus, waitForFirstScrape, type LocalPrometheus } from '../../test/observability/local-prometheus.js';
import { captureSeries, durationSeconds, KEY_SERIES, rateWindowSeconds, serviceMetricsCapture, stepSecondsFor } from './metrics-capture.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('metrics-capture helpers', () => {
  it('parses Prometheus durations', () => {
    expect(durationSeconds('5s')).toBe(5);
    expect(durationSeconds('1m30s')).toBe(90);
    expect(durationSeconds('250ms')).toBe(0.25);
    expect(() => durationSeconds('5 seconds')).toThrow(/duration/);
  });

  it('picks a step that keeps a report small and a rate window like Grafana', () => {
    expect(stepSecondsFor(0, 120_000, 5)).toBe(5);
    expect(stepSecondsFor(0, 3_600_000, 5)).toBe(6);
    expect(rateWindowSeconds(5, 5)).toBe(20);
    expect(rateWindowSeconds(30, 5)).toBe(35);
  });

  it('has the series a report needs', () => {
    expect(KEY_SERIES.map((k) => k.key)).toEqual(expect.arrayContaining(['queue_depth', 'purchases_by_outcome', 'dependency_up']));
    expect(new Set(KEY_SERIES.map((k) => k.key)).size).toBe(KEY_SERIES.length);
  });

  it('throws when Prometheus cannot be reached, and on a bad window', async () => {
    const port = await freePort();
    await expect(captureSeries(`http://127.0.0.1:${port}`, Date.now() - 60_000, Date.now())).rejects.toThrow();
    await expect(captureSeries(`http://127.0.0.1:${port}`, 10, 5)).rejects.toThrow(/bad window/);
  });
});

describe('captureSeries against a real Prometheus', () => {
  // Never skipped: a missing tool fails with the command that installs it (scripts/provision.sh).
  beforeAll(() => {
    const missing = prometheusMissing();
    if (missing) throw new Error(missing);
  });

  const exporter = new FakeExporter();
  let prom: LocalPrometheus;
  let startMs = 0;
  let outageFrom = 0;
  let outageTo = 0;
  let endMs = 0;

  beforeAll(async () => {
    exporter.families = contractFamilies();
    await exporter.start();
    prom = await startLocalPrometheus(`
global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: api
    static_configs: [{ targets: ['127.0.0.1:${exporter.port}'] }]
`);
    await waitForFirstScrape(prom.url, 'api');
    startMs = Date.now();
    const api = { service: 'api', node: 'api-1' };
    const notifier = { service: 'notifier', node: 'notifier' };
    // 3 s healthy, 4 s PostgreSQL down (async purchases, backlog grows), 5 s recovered (backlog drains)
    for (let t = 0; t < 12; t++) {
      const down = t >= 3 && t < 7;
      if (t === 3) outageFrom = Date.now();
      if (t === 7) outageTo = Date.now();
      for (const labels of [api, notifier]) exporter.set('eventflow_dependency_up', { ...labels, dependency: 'postgres' }, down ? 0 : 1);
      exporter.add('eventflow_purchases_total', { ...api, outcome: down ? 'accepted_async' : 'confirmed' }, 3);
      const q = { ...notifier, queue: 'purchases' };
      const depth = exporter.families.find((f) => f.name === 'eventflow_notifier_queue_messages')!.samples.find((s) => s.labels.queue === 'purchases')!.value;
      exporter.set('eventflow_notifier_queue_messages', q, down ? depth + 3 : Math.max(0, depth - 3));
      if (!down && depth > 0) exporter.add('eventflow_notifier_messages_total', { ...notifier, result: 'confirmed' }, Math.min(3, depth));
      for (const le of ['0.05', '0.1', '0.5', '+Inf']) exporter.add('eventflow_http_request_duration_seconds', { ...api, method: 'POST', route: '/purchase', status_code: '201', le }, 3, '_bucket');
      exporter.add('eventflow_http_request_duration_seconds', { ...api, method: 'POST', route: '/purchase', status_code: '201' }, 3, '_count');
      await sleep(1000);
    }
    await sleep(1500); // last scrape
    endMs = Date.now();
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await exporter.stop();
  });

  it('returns every key series over the window, points as [unixMs, value]', async () => {
    const series = await captureSeries(prom.url, startMs, endMs);
    expect(Object.keys(series).sort()).toEqual(KEY_SERIES.map((k) => k.key).sort());
    for (const [key, list] of Object.entries(series)) {
      for (const s of list) {
        for (const [t, v] of s.points) {
          expect(t, key).toBeGreaterThanOrEqual(startMs - 1000);
          expect(t, key).toBeLessThanOrEqual(endMs + 1000);
          expect(Number.isFinite(v), key).toBe(true);
        }
      }
    }
    // survives JSON (report.json)
    expect(JSON.parse(JSON.stringify(series))).toEqual(series);
  });

  it('shows the outage: PostgreSQL down in the window, async purchases, a backlog that fills and drains', async () => {
    const series = await captureSeries(prom.url, startMs, endMs);
    const pg = series.dependency_up!.find((s) => s.labels.dependency === 'postgres');
    expect(pg, JSON.stringify(series.dependency_up)).toBeDefined();
    const zeros = pg!.points.filter(([, v]) => v === 0).map(([t]) => t);
    expect(zeros.length).toBeGreaterThan(0);
    expect(Math.min(...zeros)).toBeGreaterThanOrEqual(outageFrom - 1500);
    expect(Math.max(...zeros)).toBeLessThanOrEqual(outageTo + 2500);
    expect(pg!.points.some(([, v]) => v === 1)).toBe(true);

    const asyncRate = series.purchases_by_outcome!.find((s) => s.labels.outcome === 'accepted_async');
    expect(asyncRate?.points.some(([, v]) => v > 0)).toBe(true);
    const queue = series.queue_depth!.find((s) => s.labels.queue === 'purchases')!;
    const peak = Math.max(...queue.points.map(([, v]) => v));
    expect(peak).toBeGreaterThanOrEqual(6);
    expect(queue.points.at(-1)![1]).toBeLessThan(peak);
    expect(series.notifier_drain_rate!.some((s) => s.points.some(([, v]) => v > 0))).toBe(true);
    expect(series.request_rate_by_node!.find((s) => s.labels.node === 'api-1')?.points.length).toBeGreaterThan(0);
  });
});

describe('serviceMetricsCapture: the services\' /metrics sampled during the run', () => {
  const exporter = new FakeExporter();
  beforeAll(async () => {
    // One endpoint, one service: the api node's samples only.
    exporter.families = contractFamilies().map((f) => ({ ...f, samples: f.samples.filter((x) => x.labels.node === 'api-1') }));
    await exporter.start();
  });
  afterAll(async () => {
    await exporter.stop();
  });

  it('has a point every interval, shows a 1 s outage and backlog, and falls back to nothing when no service answers', async () => {
    const url = `http://127.0.0.1:${exporter.port}/metrics`;
    const capture = serviceMetricsCapture({ intervalMs: 100, endpoints: async () => [{ service: 'api-1', group: 'api', url }] });
    const stack = {} as Parameters<typeof capture.start>[0]['stack'];
    const startMs = Date.now();
    const recording = await capture.start({ stack, endpoints: { prometheus: '' } as Parameters<typeof capture.start>[0]['endpoints'], startMs });
    const api = { service: 'api', node: 'api-1' };
    await sleep(500);
    const outageFrom = Date.now();
    exporter.set('eventflow_dependency_up', { ...api, dependency: 'postgres' }, 0);
    for (let i = 0; i < 5; i++) {
      exporter.add('eventflow_purchases_total', { ...api, outcome: 'accepted_async' }, 2);
      await sleep(200);
    }
    const outageTo = Date.now();
    exporter.set('eventflow_dependency_up', { ...api, dependency: 'postgres' }, 1);
    await sleep(500);
    const captured = await recording.stop(Date.now());
    expect(captured?.info.source).toBe('service-endpoints');
    expect(captured!.info.charts.map((c) => c.key)).toEqual(Object.keys(captured!.series));

    const pg = captured!.series.dependency_up!.find((s) => s.labels.dependency === 'postgres' && s.labels.service === 'api-1')!;
    expect(pg.points.length).toBeGreaterThan(10);
    const down = pg.points.filter(([, v]) => v === 0).map(([t]) => t);
    expect(down.length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...down)).toBeGreaterThanOrEqual(outageFrom - 150);
    expect(Math.max(...down)).toBeLessThanOrEqual(outageTo + 150);
    // exactly the dependencies the scraped service exports, under its own name: nothing invented
    expect(captured!.series.dependency_up!.map((s) => `${s.labels.service}/${s.labels.dependency}`)).toEqual(['api-1/postgres', 'api-1/rabbitmq', 'api-1/redis']);
    const async = captured!.series.purchases_by_outcome!.find((s) => s.labels.outcome === 'accepted_async')!;
    const inOutage = async.points.filter(([t, v]) => t >= outageFrom && t <= outageTo + 1000 && v > 0);
    expect(inOutage.length).toBeGreaterThan(3);

    const silent = serviceMetricsCapture({ intervalMs: 50, endpoints: async () => [{ service: 'api-1', group: 'api', url: `http://127.0.0.1:${await freePort()}/metrics` }] });
    const rec = await silent.start({ stack, endpoints: { prometheus: '' } as Parameters<typeof capture.start>[0]['endpoints'], startMs: Date.now() });
    await sleep(200);
    expect(await rec.stop(Date.now())).toBeUndefined();
  }, 20_000);
});
