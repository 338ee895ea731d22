/**
 * End to end: the real CLI (bin/eventflow.js → dist/) against a real stack
 * (offline images by default). No fakes here.
 *
 * The stack id is EVENTFLOW_SCENARIO_E2E_STACK (default "e2e-scenario"); when
 * it is not running it is started once and removed at the end (set
 * EVENTFLOW_KEEP_UP=1 to keep it).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunsSummary } from '../../reports/runs-model.js';
import { launchChromium } from '../observability/browser.js';
import { readCharts } from '../observability/report-charts.js';
import { cli, explain, reportOf, REPORTS, ROOT, STACK, useTestStack } from './harness.js';

useTestStack();

describe('eventflow scenario (real stack)', () => {
  it('db-outage --purchases 5 passes: 5× ACCEPTED_ASYNC, reads 200, all persisted exactly once; three reports', async () => {
    const r = await cli(['scenario', 'db-outage', '--purchases', '5', '--stack', STACK, '--report-dir', REPORTS]);
    expect(r.code, explain(r)).toBe(0);
    const { report, dir } = reportOf(r);
    expect(report.verdict).toBe('pass');
    const outage = report.history.ops.filter((o) => o.step === 'outage-purchases');
    expect(outage).toHaveLength(5);
    expect(outage.every((o) => o.httpStatus === 202 && o.status === 'ACCEPTED_ASYNC')).toBe(true);
    expect(report.history.ops.filter((o) => o.step === 'outage-reads').every((o) => o.httpStatus === 200)).toBe(true);
    expect(report.checker).toMatchObject({ lost: { count: 0 }, duplicated: { count: 0 }, oversold: { count: 0 }, unexpected: { count: 0 } });
    expect(report.checker!.persisted).toBe(report.checker!.acknowledged);
    expect(report.timings.drainMs).toBeDefined();
    expect(readFileSync(join(dir, 'junit.xml'), 'utf8')).toContain('failures="0"');
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('svg class="timeline"');
    expect(existsSync(join(REPORTS, 'index.html'))).toBe(true);
  });

  it('an acknowledged order deleted behind the system\'s back → exit 1 with lost=1 in all three reports', async () => {
    const r = await cli(['scenario', 'db-outage', '--purchases', '3', '--stack', STACK, '--report-dir', REPORTS], { EVENTFLOW_TEST_SABOTAGE: 'delete-acked-order' });
    expect(r.code, explain(r)).toBe(1);
    const { report, dir } = reportOf(r);
    expect(report.verdict).toBe('fail');
    expect(report.checker!.lost.count).toBe(1);
    expect(report.checks.find((c) => c.id === 'invariant.lost')).toMatchObject({ passed: false, value: 1 });
    const junit = readFileSync(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toMatch(/<failure message="lost=1 of/);
    expect(junit).toContain('failures="1"');
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('>FAIL<');
    expect(html).toMatch(/data-check="invariant.lost"><td>✘<\/td>/);
    expect(html).toContain('lost=1 of');
  });

  it.each(['redis-outage', 'node-kill', 'broker-outage', 'db-and-cache-outage', 'partition', 'rolling-restart', 'flash-sale'])('%s passes', async (name) => {
    const r = await cli(['scenario', name, '--stack', STACK, '--report-dir', REPORTS]);
    expect(r.code, explain(r)).toBe(0);
    const { report } = reportOf(r);
    expect(report.checker!.lost.count).toBe(0);
    expect(report.checker!.duplicated.count).toBe(0);
  });

  it('clients without keys, double submits and retries: rows attributed by key or e-mail tag; a rate step reports its schedule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-clients-'));
    const file = join(dir, 'clients.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: clients-e2e',
        'steps:',
        '  - id: buy',
        '    load: { purchases: 8, concurrency: 4, keyless: 0.5, duplicate: 0.5, retry: { attempts: 2, backoff: 50ms, sameKey: true } }',
        '  - id: health',
        '    load: { reads: 1, rate: 20, duration: 1s, concurrency: 4, path: /nginx-health }',
        '',
      ].join('\n'),
    );
    const r = await cli(['scenario', file, '--stack', STACK, '--report-dir', REPORTS]);
    expect(r.code, explain(r)).toBe(0);
    const { report } = reportOf(r);
    const buy = report.history.ops.filter((o) => o.step === 'buy');
    const keyless = buy.filter((o) => o.keyless);
    expect(keyless).toHaveLength(4);
    expect(keyless.every((o) => o.key === undefined && /^scenario\+.+@eventflow\.test$/.test(o.email ?? ''))).toBe(true);
    expect(buy.filter((o) => o.twin)).toHaveLength(2);
    // 8 client requests, 8 orders: 4 by key (double submits answered with one order each), 4 found by their e-mail tag.
    expect(report.checker).toMatchObject({ persisted: 8, lost: { count: 0 }, duplicated: { count: 0 }, unexpected: { count: 0 }, failedButPersisted: { count: 0 } });
    const health = report.steps.find((s) => s.id === 'health')!;
    expect(health.load).toMatchObject({ planned: 20, rate: 20 });
    expect(health.load!.started + health.load!.missed).toBe(20);
    expect(health.load!.latency.p50).toBeGreaterThan(0);
  });

  it('a malformed file → exit 2 with file:line:col, nothing started', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-bad-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'version: 1\nname: bad\nsteps:\n  - fault: kill\n    target: postgress\n  - load: { purchases: -1 }\n');
    const never = 'never-started-e2e';
    const r = await cli(['scenario', file, '--stack', never, '--report-dir', REPORTS], {}, 60_000);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:6:24: purchases: must be >= 0/);
    expect(r.stderr).toContain('nothing was started');
    const ps = spawnSync('docker', ['ps', '-aq', '--filter', `label=eventflow.stack=${never}`], { encoding: 'utf8' });
    expect(ps.stdout.trim()).toBe('');
    const v = await cli(['scenarios', 'validate', file], {}, 30_000);
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/bad\.yaml:6:24: /);
  });

  it('db-outage --purchases 5 --runs 5 passes and writes the summary; every metric chart of a real report shows the outage', async () => {
    const r = await cli(['scenario', 'db-outage', '--purchases', '5', '--runs', '5', '--stack', STACK, '--report-dir', REPORTS], {}, 900_000);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toMatch(/runs 5\/5 · /);
    expect(r.stdout).not.toContain('\x1b'); // not a terminal: plain lines
    const m = /summary: (\S+)\/ \(summary\.json/.exec(r.stdout);
    expect(m, explain(r)).not.toBeNull();
    const summary = JSON.parse(readFileSync(join(m![1]!, 'summary.json'), 'utf8')) as RunsSummary;
    expect(summary).toMatchObject({ kind: 'eventflow-runs-summary', scenario: 'db-outage', requested: 5, passed: 5, passRate: 1, failedChecks: [], exitCode: 0 });
    expect(summary.runs).toHaveLength(5);
    expect(summary.confidence.high).toBe(1);
    expect(summary.confidence.low).toBeGreaterThan(0.5);
    expect(summary.confidence.low).toBeLessThan(0.6);
    expect(summary.latency.during.count).toBe(25);
    expect(summary.runs.every((run) => run.orders !== undefined && run.orders.pending === 0)).toBe(true);
    expect(readFileSync(join(REPORTS, 'index.html'), 'utf8')).toContain('data-scenario="db-outage"');

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(join(m![1]!, 'index.html')).href, { waitUntil: 'load' });
      expect(await page.locator('#pass-rate').textContent()).toBe('100 %');
      expect(await page.locator('#runs tbody tr').count()).toBe(5);
      // The first run's report: every chart has data, some of it inside the fault window.
      await page.goto(pathToFileURL(join(m![1]!, summary.runs[0]!.report)).href, { waitUntil: 'load' });
      const charts = await readCharts(page);
      expect(charts.length).toBeGreaterThanOrEqual(8);
      for (const c of charts) {
        expect(c.noData, c.key).toBeNull();
        expect(c.faultWindows, c.key).toBe(1);
        expect(c.pointsInFault, `${c.key}: ${JSON.stringify(c)}`).toBeGreaterThan(0);
      }
      expect(await page.locator('#metrics figure[data-key="dependency_up"] rect.seg.down').count()).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  }, 960_000);
});
