/**
 * Reading Grafana dashboards as data: every query a dashboard runs (panel
 * targets, annotations, template variables), Grafana's template variables
 * substituted so that the query can go straight to Prometheus's HTTP API, and
 * the metric / label names a PromQL expression uses.
 *
 * Used by the unit test (system/prometheus/tests/dashboards.test.ts) and the
 * live test (test/observability/dashboards.itest.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DASHBOARDS_DIR = join(REPO_ROOT, 'dashboards');

export interface DashboardFile {
  file: string; // relative to the repo root
  json: GrafanaDashboard;
}

export interface DatasourceRef {
  type?: string;
  uid?: string;
}

export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  datasource?: DatasourceRef | string | null;
  legendFormat?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  hide?: boolean;
}

export interface GrafanaPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: DatasourceRef | string | null;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

export interface GrafanaVariable {
  name: string;
  type: string;
  datasource?: DatasourceRef | string | null;
  query?: string | { query?: string };
  definition?: string;
  includeAll?: boolean;
  multi?: boolean;
  allValue?: string | null;
}

export interface GrafanaAnnotation {
  name: string;
  datasource?: DatasourceRef | string | null;
  expr?: string;
  builtIn?: number;
  enable?: boolean;
  /** Grafana's own annotation store: which stored annotations to show. */
  target?: { type?: string; tags?: string[]; matchAny?: boolean; limit?: number };
}

/** Grafana's built-in datasource: its own annotation store, not a query datasource. */
export function isGrafanaStore(ref: DatasourceRef | string | null | undefined): boolean {
  return typeof ref === 'object' && ref !== null && ref.type === 'grafana' && ref.uid === '-- Grafana --';
}

export interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating?: { list: GrafanaVariable[] };
  annotations?: { list: GrafanaAnnotation[] };
  [key: string]: unknown;
}

/** Every `*.json` under dashboards/ (the folder Grafana's file provider scans). */
export function loadDashboards(dir = DASHBOARDS_DIR): DashboardFile[] {
  const out: DashboardFile[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) {
        const text = readFileSync(p, 'utf8');
        let json: GrafanaDashboard;
        try {
          json = JSON.parse(text) as GrafanaDashboard;
        } catch (e) {
          throw new Error(`${relative(REPO_ROOT, p)}: invalid JSON: ${(e as Error).message}`);
        }
        out.push({ file: relative(REPO_ROOT, p), json });
      }
    }
  };
  walk(dir);
  return out;
}

/** Panels including those nested in collapsed rows. */
export function allPanels(d: GrafanaDashboard): GrafanaPanel[] {
  const out: GrafanaPanel[] = [];
  const walk = (ps: GrafanaPanel[] | undefined): void => {
    for (const p of ps ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

export interface PanelQuery {
  dashboard: string;
  panel: string;
  panelId: number | undefined;
  refId: string;
  expr: string;
  instant: boolean;
  legendFormat?: string;
}

/** Every Prometheus query of every (non-row) panel. */
export function panelQueries(d: GrafanaDashboard): PanelQuery[] {
  const out: PanelQuery[] = [];
  for (const p of allPanels(d)) {
    if (p.type === 'row') continue;
    for (const t of p.targets ?? []) {
      if (t.hide || !t.expr) continue;
      out.push({
        dashboard: d.title,
        panel: p.title ?? `panel ${p.id}`,
        panelId: p.id,
        refId: t.refId ?? '?',
        expr: t.expr,
        instant: t.instant === true && t.range !== true,
        legendFormat: t.legendFormat,
      });
    }
  }
  return out;
}

/** Prometheus annotation queries (Grafana's built-in annotation source is skipped). */
export function annotationQueries(d: GrafanaDashboard): { name: string; expr: string }[] {
  return (d.annotations?.list ?? []).filter((a) => !a.builtIn && a.expr).map((a) => ({ name: a.name, expr: a.expr! }));
}

export function variableQuery(v: GrafanaVariable): string | undefined {
  if (v.type !== 'query') return undefined;
  if (typeof v.query === 'string') return v.query;
  return v.query?.query ?? v.definition;
}

/** `label_values(metric{…}, label)` → {match, label}; `label_values(label)` → {label}. */
export function parseLabelValues(q: string): { match?: string; label: string } | undefined {
  const m = /^\s*label_values\(\s*(?:(.+?)\s*,\s*)?([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/.exec(q);
  if (!m) return undefined;
  return { match: m[1], label: m[2]! };
}

/** Every datasource reference in a dashboard, with where it is. */
export function datasourceRefs(d: GrafanaDashboard): { where: string; ref: DatasourceRef | string | null | undefined }[] {
  const out: { where: string; ref: DatasourceRef | string | null | undefined }[] = [];
  for (const p of allPanels(d)) {
    if (p.type === 'row') continue;
    out.push({ where: `panel "${p.title}"`, ref: p.datasource });
    for (const t of p.targets ?? []) out.push({ where: `panel "${p.title}" target ${t.refId}`, ref: t.datasource });
  }
  for (const v of d.templating?.list ?? []) if (v.type === 'query') out.push({ where: `variable $${v.name}`, ref: v.datasource });
  for (const a of d.annotations?.list ?? []) if (!a.builtIn && !isGrafanaStore(a.datasource)) out.push({ where: `annotation "${a.name}"`, ref: a.datasource });
  return out;
}

export interface Substitution {
  /** Query step, seconds ($__interval). */
  stepSeconds: number;
  /** Scrape interval of the datasource (Grafana's "timeInterval"), seconds. */
  scrapeSeconds: number;
  /** The whole time range, seconds ($__range). */
  rangeSeconds: number;
  /** Template variable values; a variable not given is "All" (its allValue or `.*`). */
  vars?: Record<string, string>;
}

/** Grafana: $__rate_interval = max($__interval + scrape interval, 4 × scrape interval). */
export function rateIntervalSeconds(stepSeconds: number, scrapeSeconds: number): number {
  return Math.max(stepSeconds + scrapeSeconds, 4 * scrapeSeconds);
}

/** Replace Grafana's variables the way Grafana does before it sends the query. */
export function substitute(expr: string, d: GrafanaDashboard, s: Substitution): string {
  const dur = (sec: number): string => `${Math.max(1, Math.round(sec))}s`;
  const builtins: Record<string, string> = {
    __rate_interval: dur(rateIntervalSeconds(s.stepSeconds, s.scrapeSeconds)),
    __interval: dur(s.stepSeconds),
    __interval_ms: String(Math.round(s.stepSeconds * 1000)),
    __range: dur(s.rangeSeconds),
    __range_s: String(Math.round(s.rangeSeconds)),
    __range_ms: String(Math.round(s.rangeSeconds * 1000)),
  };
  const vars: Record<string, string> = {};
  for (const v of d.templating?.list ?? []) vars[v.name] = s.vars?.[v.name] ?? v.allValue ?? '.*';
  const value = (name: string): string | undefined => builtins[name] ?? vars[name];
  // ${name}, ${name:format}, [[name]], $name — longest names first so $__range_s beats $__range.
  let out = expr.replace(/\$\{([a-zA-Z0-9_]+)(?::[a-z]+)?\}/g, (m, n: string) => value(n) ?? m);
  out = out.replace(/\[\[([a-zA-Z0-9_]+)\]\]/g, (m, n: string) => value(n) ?? m);
  out = out.replace(/\$([a-zA-Z_][a-zA-Z0-9_]*)/g, (m, n: string) => value(n) ?? m);
  return out;
}

const PROMQL_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'atan2',
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'inf', 'nan',
]);

/** Metric names an expression selects (functions, keywords, labels and strings excluded). */
export function metricNames(expr: string): string[] {
  let e = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  e = e.replace(/\{[^}]*\}/g, ' '); // label matchers
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // label lists
  e = e.replace(/\[[^\]]*\]/g, ' '); // ranges / subqueries
  e = e.replace(/\$\{?[a-zA-Z_][a-zA-Z0-9_]*\}?/g, ' '); // unsubstituted variables
  const names = new Set<string>();
  for (const m of e.matchAll(/(?<![a-zA-Z0-9_:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const name = m[1]!;
    if (m[2]) continue; // a function call
    if (PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    if (/^\d/.test(name)) continue;
    names.add(name);
  }
  return [...names];
}

/** Label names an expression (and its legend) uses: matchers, by/without/on lists, {{label}} in legends. */
export function labelNames(expr: string, legendFormat?: string): string[] {
  const labels = new Set<string>();
  const e = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  for (const block of e.matchAll(/\{([^}]*)\}/g)) {
    for (const m of block[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.add(m[1]!);
  }
  for (const list of e.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)) {
    for (const n of list[1]!.split(',').map((x) => x.trim()).filter(Boolean)) labels.add(n);
  }
  for (const m of (legendFormat ?? '').matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) labels.add(m[1]!);
  labels.delete('__name__');
  return [...labels];
}

export interface ContractMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  labels: string[];
}

/** The metrics table of docs/architecture.md (the contract the services implement). */
export function contractMetrics(architectureMd = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8')): ContractMetric[] {
  const section = architectureMd.split(/^## /m).find((s) => s.startsWith('Metrics'));
  if (!section) throw new Error('docs/architecture.md has no "## Metrics" section');
  const out: ContractMetric[] = [];
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([a-z_:][a-z0-9_:]*)`\s*\|\s*([a-z]+)[^|]*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const labels = [...m[3]!.matchAll(/`([a-z_][a-z0-9_]*)`/g)].map((x) => x[1]!);
    out.push({ name: m[1]!, type: m[2] as ContractMetric['type'], labels });
  }
  return out;
}

/** The sample names a contract metric exposes (histograms: _bucket/_count/_sum). */
export function exposedNames(m: ContractMetric): string[] {
  if (m.type === 'histogram') return [`${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`];
  if (m.type === 'summary') return [m.name, `${m.name}_count`, `${m.name}_sum`];
  return [m.name];
}
