/**
 * Static checks of the Grafana provisioning and dashboards (dashboards/) and of
 * the metric/label names that dashboards and Prometheus rules use. Grafana
 * cannot run on the build machines; test/observability/dashboards.itest.ts runs
 * every query against a live Prometheus.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import {
  allPanels,
  annotationQueries,
  contractMetrics,
  DASHBOARDS_DIR,
  datasourceRefs,
  exposedNames,
  isGrafanaStore,
  labelNames,
  loadDashboards,
  metricNames,
  panelQueries,
  REPO_ROOT,
  substitute,
  variableQuery,
  parseLabelValues,
} from '../../../test/observability/dashboard-queries.js';
import { FAULT_ANNOTATION_TAG } from '../../../cli/grafana/dashboards.js';

const dashboards = loadDashboards();
const datasourceFile = join(DASHBOARDS_DIR, 'provisioning', 'datasources', 'prometheus.yml');
const providerFile = join(DASHBOARDS_DIR, 'provisioning', 'dashboards', 'eventflow.yml');
const rulesDir = join(REPO_ROOT, 'system', 'prometheus', 'rules');

interface ProvisionedDatasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData?: { timeInterval?: string };
}
const provisioned = (parse(readFileSync(datasourceFile, 'utf8')) as { datasources: ProvisionedDatasource[] }).datasources;
const promDs = provisioned.find((d) => d.type === 'prometheus');

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
}
const rules: Rule[] = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.yml'))
  .flatMap((f) => (parse(readFileSync(join(rulesDir, f), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules));
const recordedNames = new Set(rules.filter((r) => r.record).map((r) => r.record!));

const contract = contractMetrics();
/** Synthetic series Prometheus itself writes for every target / alert. */
const PROMETHEUS_OWN = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds', 'scrape_samples_scraped', 'scrape_samples_post_metric_relabeling', 'scrape_series_added']);
/** The default-metrics prefix docs/architecture.md declares (`eventflow_process_`), if any. */
const RUNTIME_PREFIX = /`(eventflow_process_)`/.exec(readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8'))?.[1];
const contractByExposed = new Map(contract.flatMap((m) => exposedNames(m).map((n) => [n, m] as const)));

/** Bounded label names: everything a query may group, match or legend by. */
const BOUNDED_LABELS = new Set([
  'job', 'instance', 'node', 'service', // target / default labels
  'dependency', 'outcome', 'result', 'queue', 'reason', 'method', 'route', 'status_code', 'le', // contract labels
  'quantile', // recording rules
  'alertname', 'alertstate', 'severity', // ALERTS
]);
const UNBOUNDED = /(^|_)(id|uuid|order|orderid|order_id|email|mail|buyer|key|idempotency|user|ip|path|url|session|trace)($|_)/i;

const allQueries = dashboards.flatMap((d) => [
  ...panelQueries(d.json).map((q) => ({ where: `${d.file}: panel "${q.panel}" ${q.refId}`, expr: q.expr, legend: q.legendFormat })),
  ...annotationQueries(d.json).map((a) => ({ where: `${d.file}: annotation "${a.name}"`, expr: a.expr, legend: undefined })),
  ...(d.json.templating?.list ?? []).flatMap((v) => {
    const q = variableQuery(v);
    const lv = q ? parseLabelValues(q) : undefined;
    return lv?.match ? [{ where: `${d.file}: variable $${v.name}`, expr: lv.match, legend: undefined }] : [];
  }),
]);
const ruleQueries = rules.map((r) => ({ where: `rule ${r.record ?? r.alert}`, expr: r.expr, legend: undefined as string | undefined }));

describe('Grafana provisioning', () => {
  it('provisions exactly one Prometheus datasource with a fixed uid and an in-network URL', () => {
    expect(promDs, 'no prometheus datasource in dashboards/provisioning/datasources/prometheus.yml').toBeDefined();
    expect(promDs!.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(provisioned.filter((d) => d.type === 'prometheus')).toHaveLength(1);
    const url = new URL(promDs!.url);
    expect(url.hostname, 'Grafana reaches Prometheus by its network alias, not a host address').toBe('prometheus');
    expect(url.port).toBe('9090');
  });

  it('the datasource scrape interval equals the stack Prometheus scrape interval', async () => {
    const render = await import('../../../cli/stack/render.js').catch(() => undefined);
    const yml: string | undefined =
      render && typeof render.renderPrometheusYml === 'function'
        ? render.renderPrometheusYml({ apiNodes: ['api-1'] })
        : existsSync(join(REPO_ROOT, 'system/prometheus/prometheus.yml'))
          ? readFileSync(join(REPO_ROOT, 'system/prometheus/prometheus.yml'), 'utf8')
          : undefined;
    if (!yml) return; // the stack's config is not there yet
    const scrape = (parse(yml) as { global?: { scrape_interval?: string } }).global?.scrape_interval ?? '1m';
    expect(promDs!.jsonData?.timeInterval).toBe(scrape);
  });

  it('the stack’s rendered Grafana datasource (cli/stack/render.ts) uses the same uid', async () => {
    const render = await import('../../../cli/stack/render.js').catch(() => undefined);
    if (!render || typeof render.renderGrafanaDatasource !== 'function') return;
    const rendered = (parse(render.renderGrafanaDatasource() as string) as { datasources: ProvisionedDatasource[] }).datasources;
    expect(rendered.find((d) => d.type === 'prometheus')?.uid).toBe(promDs!.uid);
  });

  it('the dashboard provider loads the folder the stack mounts dashboards/ at', () => {
    const doc = parse(readFileSync(providerFile, 'utf8')) as { providers: { type: string; options: { path: string } }[] };
    expect(doc.providers).toHaveLength(1);
    expect(doc.providers[0]!.type).toBe('file');
    expect(doc.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
  });
});

describe('dashboards', () => {
  it('there is an "EventFlow — resilience" dashboard', () => {
    expect(dashboards.map((d) => d.json.title)).toContain('EventFlow — resilience');
  });

  it('every dashboard has a unique uid and title, and unique panel ids', () => {
    const uids = dashboards.map((d) => d.json.uid);
    for (const d of dashboards) {
      expect(d.json.uid, `${d.file}: uid`).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
      expect(d.json.title, `${d.file}: title`).toBeTruthy();
      expect(d.json.id ?? null, `${d.file}: a provisioned dashboard must not carry a database id`).toBeNull();
      const ids = allPanels(d.json).map((p) => p.id);
      expect(ids.every((i) => typeof i === 'number'), `${d.file}: every panel needs a numeric id`).toBe(true);
      expect(new Set(ids).size, `${d.file}: duplicate panel ids`).toBe(ids.length);
    }
    expect(new Set(uids).size, `duplicate dashboard uids: ${uids.join(', ')}`).toBe(uids.length);
    expect(new Set(dashboards.map((d) => d.json.title)).size).toBe(dashboards.length);
  });

  it('every datasource reference resolves to the provisioned Prometheus datasource', () => {
    for (const d of dashboards) {
      for (const { where, ref } of datasourceRefs(d.json)) {
        expect(typeof ref === 'object' && ref !== null, `${d.file}: ${where}: datasource must be an object {type, uid}`).toBe(true);
        const r = ref as { type?: string; uid?: string };
        expect(r.uid, `${d.file}: ${where}: datasource uid "${r.uid}" is not the provisioned "${promDs!.uid}"`).toBe(promDs!.uid);
        expect(r.type, `${d.file}: ${where}: datasource type`).toBe('prometheus');
      }
    }
  });

  it(`every dashboard shows the runs' fault windows: Grafana's own annotations tagged "${FAULT_ANNOTATION_TAG}" (what cli/grafana/annotations.ts posts)`, () => {
    expect(dashboards.length).toBeGreaterThan(0);
    for (const d of dashboards) {
      const byTag = (d.json.annotations?.list ?? []).filter((a) => !a.builtIn && isGrafanaStore(a.datasource) && a.target?.type === 'tags');
      expect(byTag, `${d.file}: no annotation query of Grafana's store by tag`).toHaveLength(1);
      const a = byTag[0]!;
      expect(a.enable, `${d.file}: annotation "${a.name}" is off`).toBe(true);
      // one tag, all of them required: only EventFlow's annotations, every run's (each also carries its run id and fault kind)
      expect(a.target?.tags, `${d.file}: annotation "${a.name}" tags`).toEqual([FAULT_ANNOTATION_TAG]);
      expect(a.target?.matchAny ?? false).toBe(false);
      expect(a.target?.limit ?? 100).toBeGreaterThanOrEqual(100);
    }
  });

  it('no hard-coded host addresses or ports', () => {
    for (const d of dashboards) {
      const text = readFileSync(join(REPO_ROOT, d.file), 'utf8');
      expect(text, `${d.file} mentions a host address`).not.toMatch(/localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]/);
      expect(text, `${d.file} has a URL with a port`).not.toMatch(/[a-z]+:\/\/[^"\s/]+:\d+/i);
      expect(text, `${d.file} has a host:port`).not.toMatch(/"[a-z0-9.-]+:\d{2,5}"/i);
    }
  });

  it('panels lie on the 24-column grid without overlapping', () => {
    for (const d of dashboards) {
      const boxes = allPanels(d.json).map((p) => ({ t: p.title, ...p.gridPos! }));
      for (const b of boxes) {
        expect(b.w, `${d.file}: "${b.t}" has no gridPos`).toBeGreaterThan(0);
        expect(b.x + b.w, `${d.file}: "${b.t}" is wider than the grid`).toBeLessThanOrEqual(24);
      }
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${d.file}: "${a.t}" overlaps "${b.t}"`).toBe(false);
        }
    }
  });

  it('the resilience dashboard shows what the issue asks for', () => {
    const d = dashboards.find((x) => x.json.title === 'EventFlow — resilience')!.json;
    const titles = allPanels(d).map((p) => p.title ?? '');
    const exprs = panelQueries(d).map((q) => q.expr).join('\n');
    const wanted: [string, RegExp, RegExp][] = [
      ['request rate per node', /request rate/i, /eventflow_http_request_duration_seconds_count/],
      ['error ratio per node', /error ratio/i, /errors:ratio/],
      ['latency percentiles', /latency/i, /quantile/],
      ['purchases by outcome', /purchases by outcome/i, /eventflow_purchases_total/],
      ['queue depth', /queue depth/i, /eventflow_notifier_queue_messages/],
      ['drain rate', /drain/i, /eventflow_notifier_messages_total/],
      ['dependency up', /dependenc/i, /eventflow_dependency_up/],
      ['circuit breaker', /breaker/i, /eventflow_circuit_breaker_state/],
      ['cache hit ratio', /cache hit/i, /eventflow_cache_requests_total\{result="hit"/],
      ['notifier retries and dead letters', /retries.*dead/i, /eventflow_notifier_dead_lettered_total/],
      ['outage window', /outage/i, /eventflow_dependency_up\{dependency="postgres"\}/],
    ];
    for (const [what, title, expr] of wanted) {
      expect(titles.some((t) => title.test(t)), `no panel for ${what}`).toBe(true);
      expect(expr.test(exprs), `no query for ${what}`).toBe(true);
    }
    expect(exprs).toMatch(/eventflow_notifier_retries_total/);
    // the outage is also an annotation on every time series
    expect(annotationQueries(d).some((a) => /eventflow_dependency_up\{dependency="postgres"\}/.test(a.expr))).toBe(true);
    // a node template variable that the per-node panels use
    const node = d.templating?.list.find((v) => v.name === 'node');
    expect(node, 'no $node template variable').toBeDefined();
    expect(exprs).toMatch(/node=~"\$node"/);
  });
});

describe('metric and label names (dashboards and rules)', () => {
  it('the contract itself follows Prometheus naming conventions', () => {
    expect(contract.length).toBeGreaterThan(5);
    for (const m of contract) {
      expect(m.name, `${m.name}: prefix`).toMatch(/^eventflow_[a-z0-9_]+$/);
      if (m.type === 'counter') expect(m.name, `${m.name}: counters end in _total`).toMatch(/_total$/);
      else expect(m.name, `${m.name}: only counters end in _total`).not.toMatch(/_total$/);
      expect(m.name, `${m.name}: base units (seconds, bytes), not ms/kb`).not.toMatch(/_(milliseconds|ms|minutes|hours|kilobytes|kb|mb|percent)(_|$)/);
      if (/(^|_)(duration|latency|age|time)(_|$)/.test(m.name)) expect(m.name, `${m.name}: a time is in _seconds`).toMatch(/_seconds(_total)?$/);
      for (const l of m.labels) {
        expect(BOUNDED_LABELS.has(l), `${m.name}: label "${l}" is not in the bounded set`).toBe(true);
      }
    }
  });

  it('every metric a query uses is in the contract, a recording rule, or Prometheus/RabbitMQ’s own', () => {
    for (const q of [...allQueries, ...ruleQueries]) {
      for (const name of metricNames(q.expr)) {
        const ok =
          contractByExposed.has(name) ||
          recordedNames.has(name) ||
          PROMETHEUS_OWN.has(name) ||
          name.startsWith('rabbitmq_') || // RabbitMQ's rabbitmq_prometheus plugin
          (RUNTIME_PREFIX !== undefined && name.startsWith(RUNTIME_PREFIX)); // prom-client default metrics
        expect(ok, `${q.where}: metric "${name}" is not in docs/architecture.md's metrics table nor a recording rule`).toBe(true);
        const m = contractByExposed.get(name);
        if (m) {
          if (m.type === 'histogram') expect(name, `${q.where}: use ${m.name}_bucket/_count/_sum`).not.toBe(m.name);
        }
      }
    }
  });

  it('counters are only read through rate()/increase()', () => {
    const counters = contract.filter((m) => m.type === 'counter' || m.type === 'histogram').flatMap((m) => (m.type === 'histogram' ? [`${m.name}_bucket`, `${m.name}_count`] : [m.name]));
    for (const q of [...allQueries, ...ruleQueries]) {
      if (q.where.includes('variable $')) continue; // label_values only lists labels
      for (const c of counters) {
        const re = new RegExp(`\\b${c}\\b`, 'g');
        for (const m of q.expr.matchAll(re)) {
          const before = q.expr.slice(0, m.index);
          const open = [...before.matchAll(/\b(rate|irate|increase|resets)\s*\(/g)].length;
          expect(open, `${q.where}: counter ${c} is used without rate()/increase()`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('no query groups, matches or labels by an unbounded label', () => {
    for (const q of [...allQueries, ...ruleQueries]) {
      for (const l of labelNames(q.expr, q.legend)) {
        expect(UNBOUNDED.test(l), `${q.where}: label "${l}" looks unbounded (ids, e-mails, keys…)`).toBe(false);
        expect(BOUNDED_LABELS.has(l), `${q.where}: label "${l}" is not in the bounded label set`).toBe(true);
      }
    }
    for (const r of rules) for (const l of Object.keys(r.labels ?? {})) expect(BOUNDED_LABELS.has(l), `rule ${r.record ?? r.alert}: label ${l}`).toBe(true);
  });

  it('recording rules are named level:metric:operations', () => {
    for (const name of recordedNames) expect(name).toMatch(/^[a-z_]+:eventflow_[a-z0-9_]+:[a-z0-9_]+$/);
  });

  it('every dashboard query is valid PromQL (promtool parses it)', () => {
    const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error('promtool is not installed (Debian package "prometheus"); it parses the dashboard queries');
    const dir = mkdtempSync(join(tmpdir(), 'eventflow-dash-'));
    try {
      const groups = dashboards.map((d, i) => ({
        name: `dashboard_${i}`,
        rules: [
          ...panelQueries(d.json).map((q) => ({ where: `${q.panel} ${q.refId}`, expr: q.expr })),
          ...annotationQueries(d.json).map((a) => ({ where: a.name, expr: a.expr })),
        ].map((q, j) => ({
          record: `dashboard_query_${i}_${j}`,
          expr: substitute(q.expr, d.json, { stepSeconds: 5, scrapeSeconds: 5, rangeSeconds: 900 }),
          labels: { where: q.where },
        })),
      }));
      for (const g of groups) for (const r of g.rules) expect(r.expr, `${r.labels.where}: a template variable was left`).not.toMatch(/\$/);
      writeFileSync(join(dir, 'queries.yml'), stringify({ groups }));
      const r = spawnSync('promtool', ['check', 'rules', join(dir, 'queries.yml')], { encoding: 'utf8', timeout: 30_000 });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('dashboard-queries helpers', () => {
  it('extracts metric and label names', () => {
    expect(metricNames('sum by (node) (rate(eventflow_purchases_total{outcome="x"}[1m])) / on (node) up')).toEqual(['eventflow_purchases_total', 'up']);
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(a_bucket[5m])))')).toEqual(['a_bucket']);
    expect(metricNames('job:eventflow_http_errors:ratio_rate1m{job="api"} > 0.05')).toEqual(['job:eventflow_http_errors:ratio_rate1m']);
    expect(labelNames('sum by (node, le) (rate(x{job="api", route=~"/e.*"}[1m]))', '{{node}} {{ quantile }}').sort()).toEqual(['job', 'le', 'node', 'quantile', 'route']);
  });

  it('substitutes Grafana variables like Grafana', () => {
    const d = { uid: 'x', title: 'x', panels: [], templating: { list: [{ name: 'node', type: 'query', allValue: '.*' }] } };
    expect(substitute('rate(x{node=~"$node"}[$__rate_interval]) + increase(y[$__range]) + z[${__interval}]', d, { stepSeconds: 10, scrapeSeconds: 5, rangeSeconds: 600 })).toBe(
      'rate(x{node=~".*"}[20s]) + increase(y[600s]) + z[10s]',
    );
    expect(substitute('x{node=~"$node"}', d, { stepSeconds: 30, scrapeSeconds: 5, rangeSeconds: 60, vars: { node: 'api-1' } })).toBe('x{node=~"api-1"}');
  });
});
