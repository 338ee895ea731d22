/**
 * The stack's Prometheus image (EVENTFLOW_IMAGES set: prom/prometheus or
 * localhost/eventflow/prometheus) started with Testcontainers, scraping itself
 * as job "api", with the rules folder where the stack puts it
 * (/etc/prometheus/rules): the rules load and evaluate, and captureSeries reads
 * range data from it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureSeries } from '../../cli/scenario/metrics-capture.js';
import { imageFor, resolveImageSet } from '../../cli/stack/images.js';
import { REPO_ROOT } from './dashboard-queries.js';
import { until } from './live-stack.js';

const rulesDir = join(REPO_ROOT, 'system', 'prometheus', 'rules');
let container: StartedTestContainer;
let url: string;
let startMs: number;

beforeAll(async () => {
  const image = imageFor(resolveImageSet(), 'prometheus')!;
  const config = `
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ['/etc/prometheus/rules/*.yml']
scrape_configs:
  - job_name: api
    static_configs: [{ targets: ['localhost:9090'] }]
`;
  container = await new GenericContainer(image)
    .withLabels({ 'eventflow.test': 'observability-metrics-capture' })
    .withExposedPorts(9090)
    .withCopyContentToContainer([
      { content: config, target: '/etc/prometheus/prometheus.yml' },
      ...readdirSync(rulesDir)
        .filter((f) => f.endsWith('.yml'))
        .map((f) => ({ content: readFileSync(join(rulesDir, f), 'utf8'), target: `/etc/prometheus/rules/${f}` })),
    ])
    .withWaitStrategy(Wait.forHttp('/-/ready', 9090).forStatusCode(200))
    .withStartupTimeout(60_000)
    .start();
  url = `http://127.0.0.1:${container.getMappedPort(9090)}`;
  startMs = Date.now();
  await until(
    'the first self-scrape',
    async () => {
      const r = (await (await fetch(`${url}/api/v1/query?query=up`)).json()) as { data: { result: unknown[] } };
      return r.data.result.length > 0;
    },
    30_000,
    500,
  );
  // enough history for the range query (five scrapes span at least four 1 s steps, so more than two points),
  // and every rule evaluated at least once (health is "unknown" before)
  await until(
    'five self-scrapes and every rule evaluated',
    async () => {
      const q = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent('count_over_time(up[1m])')}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      const rules = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: { health: string }[] }[] } };
      const evaluated = rules.data.groups.flatMap((g) => g.rules).every((r) => r.health !== 'unknown');
      return Number(q.data.result[0]?.value[1] ?? 0) >= 5 && evaluated;
    },
    30_000,
    500,
  );
}, 120_000);

afterAll(async () => {
  await container?.stop({ remove: true, removeVolumes: true });
}, 60_000);

describe('Prometheus image: rules and captureSeries', () => {
  it('loads every rule from /etc/prometheus/rules and evaluates it without error', async () => {
    const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(20);
    for (const r of rules) expect(`${r.name}: ${r.health} ${r.lastError ?? ''}`.trim()).toBe(`${r.name}: ok`);
  });

  it('captureSeries returns range data as [unixMs, value] points', async () => {
    const endMs = Date.now();
    const series = await captureSeries(url, startMs - 5000, endMs);
    const up = series.api_nodes_up!;
    expect(up).toHaveLength(1);
    expect(up[0]!.labels.job).toBe('api');
    expect(up[0]!.points.length).toBeGreaterThan(2);
    for (const [t, v] of up[0]!.points) {
      expect(t).toBeGreaterThan(startMs - 10_000);
      expect(t).toBeLessThanOrEqual(endMs + 1000);
      expect(v).toBe(1);
    }
    // no EventFlow service here: the other keys are present and empty, not errors
    expect(series.queue_depth).toEqual([]);
  });
});
