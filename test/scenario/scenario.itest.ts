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
import { cli, explain, reportOf, REPORTS, STACK, useTestStack } from './harness.js';

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

  it.each(['redis-outage', 'node-kill', 'broker-outage', 'db-and-cache-outage', 'partition', 'rolling-restart'])('%s passes', async (name) => {
    const r = await cli(['scenario', name, '--stack', STACK, '--report-dir', REPORTS]);
    expect(r.code, explain(r)).toBe(0);
    const { report } = reportOf(r);
    expect(report.checker!.lost.count).toBe(0);
    expect(report.checker!.duplicated.count).toBe(0);
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
});
