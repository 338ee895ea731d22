/**
 * The rules loaded into a real Prometheus (host binary, loopback) scraping a
 * fake exporter shaped like the metrics contract: every rule evaluates without
 * error, the recording rules produce series, and an alert goes pending when
 * PostgreSQL is reported down.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contractFamilies, FakeExporter, prometheusMissing, startLocalPrometheus, waitForFirstScrape, type LocalPrometheus } from '../../test/observability/local-prometheus.js';

const rulesDir = join(dirname(fileURLToPath(import.meta.url)), 'rules');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RuleStatus {
  name: string;
  type: 'recording' | 'alerting';
  health: string;
  lastError?: string;
  state?: string;
}

describe('rules in a live Prometheus', () => {
  // Never skipped: a missing tool fails with the command that installs it (scripts/provision.sh).
  beforeAll(() => {
    const missing = prometheusMissing();
    if (missing) throw new Error(missing);
  });

  const exporter = new FakeExporter();
  let prom: LocalPrometheus;

  beforeAll(async () => {
    exporter.families = contractFamilies();
    await exporter.start();
    const files: Record<string, string> = {};
    for (const f of readdirSync(rulesDir).filter((x) => x.endsWith('.yml'))) files[`rules/${f}`] = readFileSync(join(rulesDir, f), 'utf8');
    prom = await startLocalPrometheus(
      `
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ['__DIR__/rules/*.yml']
scrape_configs:
  - job_name: api
    static_configs: [{ targets: ['127.0.0.1:${exporter.port}'] }]
`,
      files,
    );
    await waitForFirstScrape(prom.url, 'api');
    const api = { service: 'api', node: 'api-1' };
    for (let t = 0; t < 6; t++) {
      exporter.add('eventflow_purchases_total', { ...api, outcome: 'confirmed' }, 2);
      exporter.add('eventflow_cache_requests_total', { ...api, result: 'hit' }, 3);
      exporter.add('eventflow_cache_requests_total', { ...api, result: 'miss' }, 1);
      for (const le of ['0.05', '0.1', '0.5', '+Inf']) exporter.add('eventflow_http_request_duration_seconds', { ...api, method: 'POST', route: '/purchase', status_code: '201', le }, 2, '_bucket');
      exporter.add('eventflow_http_request_duration_seconds', { ...api, method: 'POST', route: '/purchase', status_code: '201' }, 2, '_count');
      if (t === 2) {
        exporter.set('eventflow_dependency_up', { ...api, dependency: 'postgres' }, 0);
        exporter.set('eventflow_dependency_up', { service: 'notifier', node: 'notifier', dependency: 'postgres' }, 0);
      }
      await sleep(1000);
    }
    await sleep(1500);
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await exporter.stop();
  });

  it('loads every rule and evaluates each without error', async () => {
    const body = (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as { data: { groups: { name: string; rules: RuleStatus[] }[] } };
    const rules = body.data.groups.flatMap((g) => g.rules);
    const expected = readdirSync(rulesDir)
      .filter((x) => x.endsWith('.yml'))
      .map((f) => (readFileSync(join(rulesDir, f), 'utf8').match(/^\s*- (record|alert):/gm) ?? []).length)
      .reduce((a, b) => a + b, 0);
    expect(rules).toHaveLength(expected);
    for (const r of rules) expect(`${r.name}: ${r.health} ${r.lastError ?? ''}`.trim()).toBe(`${r.name}: ok`);
  });

  it('recording rules produce series from contract-shaped metrics', async () => {
    const q = async (expr: string) =>
      ((await (await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`)).json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
    for (const name of [
      'node:eventflow_http_requests:rate1m',
      'node:eventflow_http_errors:ratio_rate1m',
      'job:eventflow_http_request_duration_seconds:quantile_rate1m',
      'job:eventflow_purchases:rate1m',
      'queue:eventflow_notifier_queue_messages:max',
      'dependency:eventflow_dependency_up:min',
      'job:eventflow_cache_hit:ratio_rate1m',
    ]) {
      expect((await q(name)).length, `${name} has no series`).toBeGreaterThan(0);
    }
    const ratio = await q('node:eventflow_http_errors:ratio_rate1m');
    expect(Number(ratio[0]!.value[1])).toBe(0);
    const hit = await q('job:eventflow_cache_hit:ratio_rate1m');
    expect(Number(hit[0]!.value[1])).toBeCloseTo(0.75, 2);
    const pg = await q('dependency:eventflow_dependency_up:min{dependency="postgres"}');
    expect(Number(pg[0]!.value[1])).toBe(0);
  });

  it('EventflowDatabaseDown is pending once every reporter sees PostgreSQL down', async () => {
    const body = (await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
    const a = body.data.alerts.find((x) => x.labels.alertname === 'EventflowDatabaseDown');
    expect(a?.state).toBe('pending'); // `for: 30s` has not elapsed
  });
});
