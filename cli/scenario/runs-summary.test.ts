import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../reports/model.js';
import { syntheticReport } from '../../test/scenario/synthetic.js';
import { batchExitCode, summarizeRuns, wilsonInterval } from './runs-summary.js';

describe('runs summary', () => {
  it('Wilson score interval (95 %)', () => {
    expect(wilsonInterval(5, 5)).toEqual({ low: 0.5655, high: 1 });
    expect(wilsonInterval(0, 5)).toEqual({ low: 0, high: 0.4345 });
    const mid = wilsonInterval(8, 10);
    expect(mid.low).toBeCloseTo(0.4902, 3);
    expect(mid.high).toBeCloseTo(0.9433, 3);
    expect(wilsonInterval(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('the worst verdict decides the exit code', () => {
    expect(batchExitCode([{ verdict: 'pass' }, { verdict: 'pass' }])).toBe(0);
    expect(batchExitCode([{ verdict: 'pass' }, { verdict: 'fail' }])).toBe(1);
    expect(batchExitCode([{ verdict: 'fail' }, { verdict: 'error' }])).toBe(3);
    expect(batchExitCode([{ verdict: 'error' }, { verdict: 'interrupted' }])).toBe(130);
  });

  it('pass rate, which checks failed in which runs, latency per phase over all runs', () => {
    const failing = syntheticReport(1);
    const passing: RunReport = { ...syntheticReport(2), verdict: 'pass', checks: syntheticReport(2).checks.map((c) => ({ ...c, passed: true })) };
    const reports = [passing, failing, passing];
    const s = summarizeRuns(reports, { batchId: 'b1', requested: 4, startedAt: new Date(Date.now() - 5000).toISOString(), summaryDir: '/r/batches/b1', reportDirs: ['/r/a', '/r/b', '/r/c'] });
    expect(s).toMatchObject({ passed: 2, passRate: 0.6667, requested: 4, exitCode: 1, scenario: failing.scenario.name });
    expect(s.runs.map((r) => r.report)).toEqual(['../../a/index.html', '../../b/index.html', '../../c/index.html']);
    const failedNames = failing.checks.filter((c) => !c.passed).map((c) => c.name);
    expect(s.failedChecks).toEqual(failedNames.map((name) => ({ name, runs: [2] })));
    expect(s.runs[1]!.failedChecks).toEqual(failedNames);
    const during = reports.flatMap((r) => r.history.ops.filter((o) => o.kind === 'purchase' && o.invokeMs >= r.faultWindows[0]!.startMs && o.invokeMs < r.faultWindows[0]!.endMs!));
    expect(s.latency.during.count).toBe(during.length);
    expect(s.latency.during.max).toBe(Math.max(...during.map((o) => o.latencyMs)));
    expect(s.latency.during.perRunP95!.min).toBeLessThanOrEqual(s.latency.during.perRunP95!.max);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });
});
