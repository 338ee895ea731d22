/**
 * The Prometheus rules and config are checked by promtool itself (Debian
 * package `prometheus`, /usr/bin/promtool), not by our reading of them:
 * `promtool check rules`, `promtool test rules` (every alert fires and
 * resolves on synthetic series) and `promtool check config`.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const rulesDir = join(here, 'rules');
const testsDir = join(here, 'tests');
const stackConfig = join(here, 'prometheus.yml');

const PROMTOOL = process.env.PROMTOOL ?? 'promtool';

function promtoolMissing(): string | undefined {
  const r = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) {
    return (
      `promtool is not available (${r.error?.message ?? `exit ${r.status}`}). ` +
      `Install the Debian package "prometheus" (scripts/provision.sh does) or set PROMTOOL=/path/to/promtool.`
    );
  }
  return undefined;
}

function promtool(args: string[], cwd = here): { ok: boolean; output: string } {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.yml')).sort();
const testFiles = readdirSync(testsDir).filter((f) => f.endsWith('.test.yml')).sort();

const tmpDirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'eventflow-promtool-'));
  tmpDirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** A prometheus.yml with the contract's job names, loading our rules from `rulesGlob`. */
function sampleConfig(rulesGlob: string): string {
  return stringify({
    global: { scrape_interval: '5s', evaluation_interval: '5s' },
    rule_files: [rulesGlob],
    scrape_configs: [
      { job_name: 'prometheus', static_configs: [{ targets: ['localhost:9090'] }] },
      {
        job_name: 'api',
        static_configs: [
          { targets: ['api-1:3000'], labels: { node: 'api-1' } },
          { targets: ['api-2:3000'], labels: { node: 'api-2' } },
          { targets: ['api-3:3000'], labels: { node: 'api-3' } },
        ],
      },
      { job_name: 'notifier', static_configs: [{ targets: ['notifier:9464'] }] },
      { job_name: 'analytics', static_configs: [{ targets: ['analytics:3001'] }] },
      { job_name: 'rabbitmq', static_configs: [{ targets: ['rabbitmq:15692'] }] },
    ],
  });
}

const SLOW = 60_000; // promtool on a busy 2-core machine can take seconds

describe('promtool', () => {
  it('is installed', () => {
    const missing = promtoolMissing();
    expect(missing, missing).toBeUndefined();
  }, SLOW);

  it('scripts/provision.sh installs promtool (prometheus) and chromium for these tests', () => {
    const provision = readFileSync(join(here, '..', '..', 'scripts', 'provision.sh'), 'utf8');
    const apt = /APT_PACKAGES=\(([^)]*)\)/.exec(provision)?.[1]?.split(/\s+/) ?? [];
    expect(apt, 'APT_PACKAGES in scripts/provision.sh').toEqual(expect.arrayContaining(['prometheus', 'chromium']));
  }, SLOW);

  it('has rule files and test files', () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(testFiles.length).toBeGreaterThan(0);
  }, SLOW);

  it('check rules: every rule file is valid', () => {
    const missing = promtoolMissing();
    if (missing) throw new Error(missing);
    const r = promtool(['check', 'rules', ...ruleFiles.map((f) => join('rules', f))]);
    expect(r.ok, r.output).toBe(true);
  }, SLOW);

  it('test rules: every promtool unit test passes', () => {
    const missing = promtoolMissing();
    if (missing) throw new Error(missing);
    const r = promtool(['test', 'rules', ...testFiles.map((f) => join('tests', f))]);
    expect(r.ok, r.output).toBe(true);
  }, SLOW);

  it('every alert has a promtool test where it fires and a later one where it resolves', () => {
    const alerts = new Set<string>();
    for (const f of ruleFiles) {
      const doc = parse(readFileSync(join(rulesDir, f), 'utf8')) as { groups: { rules: { alert?: string }[] }[] };
      for (const g of doc.groups) for (const r of g.rules) if (r.alert) alerts.add(r.alert);
    }
    const required = [
      'EventflowDatabaseDown',
      'EventflowRunningDegraded',
      'EventflowBacklogGrowing',
      'EventflowBacklogNotDraining',
      'EventflowApiNodeDown',
      'EventflowErrorRatioHigh',
      'EventflowNotifierDeadLettering',
    ];
    for (const a of required) expect(alerts, `alert ${a} is missing from system/prometheus/rules`).toContain(a);

    const fired = new Map<string, number>(); // alert -> earliest firing eval (seconds), per test group
    const resolved = new Set<string>();
    const seconds = (d: string): number => {
      let total = 0;
      for (const m of d.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
      return total;
    };
    for (const f of testFiles) {
      const doc = parse(readFileSync(join(testsDir, f), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; eval_time: string; exp_alerts?: unknown[] }[] }[];
      };
      for (const group of doc.tests) {
        const firstFire = new Map<string, number>();
        for (const c of group.alert_rule_test ?? []) {
          const t = seconds(c.eval_time);
          if ((c.exp_alerts ?? []).length > 0) {
            if (!firstFire.has(c.alertname) || firstFire.get(c.alertname)! > t) firstFire.set(c.alertname, t);
            fired.set(c.alertname, t);
          }
        }
        for (const c of group.alert_rule_test ?? []) {
          const start = firstFire.get(c.alertname);
          if (start !== undefined && (c.exp_alerts ?? []).length === 0 && seconds(c.eval_time) > start) resolved.add(c.alertname);
        }
      }
    }
    for (const a of alerts) {
      expect(fired.has(a), `no promtool test makes ${a} fire`).toBe(true);
      expect(resolved.has(a), `no promtool test shows ${a} resolving after it fired`).toBe(true);
    }
  }, SLOW);

  it('check config: a prometheus.yml with the contract job names loading these rules is valid', () => {
    const missing = promtoolMissing();
    if (missing) throw new Error(missing);
    const dir = tempDir();
    mkdirSync(join(dir, 'rules'));
    for (const f of ruleFiles) copyFileSync(join(rulesDir, f), join(dir, 'rules', f));
    writeFileSync(join(dir, 'prometheus.yml'), sampleConfig(join(dir, 'rules', '*.yml')));
    const r = promtool(['check', 'config', join(dir, 'prometheus.yml')], dir);
    expect(r.ok, r.output).toBe(true);
    // promtool also checked the rule files the config pulls in
    expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
  }, SLOW);

  it('check config: the config the stack renders (cli/stack/render.ts) for 1 and 3 api nodes, with these rules', async () => {
    const missing = promtoolMissing();
    if (missing) throw new Error(missing);
    const render = (await import('../../cli/stack/render.js').catch(() => undefined)) as
      | { renderPrometheusYml?: (o: { apiNodes: string[] }) => string }
      | undefined;
    if (!render?.renderPrometheusYml) {
      // The stack renderer is not there (yet): the sample config above covers promtool.
      return;
    }
    for (const apiNodes of [['api-1'], ['api-1', 'api-2', 'api-3']]) {
      const dir = tempDir();
      mkdirSync(join(dir, 'rules'));
      for (const f of ruleFiles) copyFileSync(join(rulesDir, f), join(dir, 'rules', f));
      const cfg = parse(render.renderPrometheusYml({ apiNodes })) as { rule_files?: string[]; scrape_configs?: { job_name: string }[] };
      expect(cfg.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
      expect((cfg.scrape_configs ?? []).map((s) => s.job_name).sort()).toEqual(['analytics', 'api', 'notifier', 'prometheus', 'rabbitmq']);
      cfg.rule_files = [join(dir, 'rules', '*.yml')];
      writeFileSync(join(dir, 'prometheus.yml'), stringify(cfg));
      const r = promtool(['check', 'config', join(dir, 'prometheus.yml')], dir);
      expect(r.ok, r.output).toBe(true);
      expect(r.output).toMatch(/SUCCESS: \d+ rules found/);
    }
  }, SLOW);

  it('check config: system/prometheus/prometheus.yml (the stack’s config) with these rules', () => {
    const missing = promtoolMissing();
    if (missing) throw new Error(missing);
    const dir = tempDir();
    mkdirSync(join(dir, 'rules'));
    for (const f of ruleFiles) copyFileSync(join(rulesDir, f), join(dir, 'rules', f));
    const cfg = parse(readFileSync(stackConfig, 'utf8')) as { rule_files?: string[]; scrape_configs?: { job_name: string }[] };
    // Inside the container the rules live at /etc/prometheus/rules; point at our copy.
    expect(cfg.rule_files, 'the stack config must load the rules folder').toEqual(
      expect.arrayContaining([expect.stringMatching(/^\/etc\/prometheus\/rules\//)]),
    );
    cfg.rule_files = (cfg.rule_files ?? []).map((p) => p.replace(/^\/etc\/prometheus\/rules\//, `${join(dir, 'rules')}/`));
    const jobs = (cfg.scrape_configs ?? []).map((s) => s.job_name);
    expect(jobs).toEqual(expect.arrayContaining(['api', 'notifier', 'analytics', 'rabbitmq', 'prometheus']));
    writeFileSync(join(dir, 'prometheus.yml'), stringify(cfg));
    const r = promtool(['check', 'config', join(dir, 'prometheus.yml')], dir);
    expect(r.ok, r.output).toBe(true);
  }, SLOW);
});
