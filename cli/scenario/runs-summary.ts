/** From the reports of N runs of one scenario to their summary (reports/runs-model.ts). */
import { relative } from 'node:path';
import type { PhaseName, RunReport } from '../../reports/model.js';
import { RUNS_SUMMARY_SCHEMA_VERSION, type LatencyAcrossRuns, type RunsSummary } from '../../reports/runs-model.js';
import { exitCodeFor } from '../exit-codes.js';
import { percentile, phaseOf, round } from './stats.js';

/** Wilson score interval for `passed` successes out of `n` (z = 1.96 → 95 %). */
export function wilsonInterval(passed: number, n: number, z = 1.96): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = passed / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { low: Math.max(0, round4(centre - half)), high: Math.min(1, round4(centre + half)) };
}

const round4 = (v: number) => Math.round(v * 10_000) / 10_000;
const PHASES: PhaseName[] = ['before', 'during', 'after'];

/** The worst verdict decides: interrupted, then an infrastructure error, then a failed check. */
export function batchExitCode(reports: readonly Pick<RunReport, 'verdict'>[]): number {
  for (const v of ['interrupted', 'error', 'fail'] as const) if (reports.some((r) => r.verdict === v)) return exitCodeFor(v);
  return exitCodeFor('pass');
}

function latencyAcross(reports: readonly RunReport[], phase: PhaseName): LatencyAcrossRuns {
  const perRun = reports.map((r) =>
    r.history.ops
      .filter((o) => o.kind === 'purchase' && phaseOf(o, r.faultWindows) === phase)
      .map((o) => o.latencyMs)
      .sort((a, b) => a - b),
  );
  const all = perRun.flat().sort((a, b) => a - b);
  if (!all.length) return { count: 0 };
  const p95s = perRun.filter((l) => l.length).map((l) => percentile(l, 95)!).sort((a, b) => a - b);
  return {
    count: all.length,
    p50: round(percentile(all, 50)),
    p95: round(percentile(all, 95)),
    p99: round(percentile(all, 99)),
    max: round(all.at(-1)),
    perRunP95: { min: round(p95s[0])!, median: round(percentile(p95s, 50))!, max: round(p95s.at(-1))! },
  };
}

export interface BatchIdentity {
  batchId: string;
  requested: number;
  startedAt: string;
  /** Where the summary is written (report paths are relative to it). */
  summaryDir: string;
  /** Each report's directory, in run order. */
  reportDirs: string[];
}

export function summarizeRuns(reports: readonly RunReport[], id: BatchIdentity): RunsSummary {
  const first = reports[0];
  const passed = reports.filter((r) => r.verdict === 'pass').length;
  const failedChecks = new Map<string, number[]>();
  reports.forEach((r, i) => {
    for (const c of r.checks.filter((x) => !x.passed)) failedChecks.set(c.name, [...(failedChecks.get(c.name) ?? []), i + 1]);
    if (r.verdict === 'error' || r.verdict === 'interrupted') failedChecks.set(`scenario run completes (${r.verdict})`, [...(failedChecks.get(`scenario run completes (${r.verdict})`) ?? []), i + 1]);
  });
  const finishedAt = new Date();
  return {
    schemaVersion: RUNS_SUMMARY_SCHEMA_VERSION,
    kind: 'eventflow-runs-summary',
    batchId: id.batchId,
    scenario: first?.scenario.name ?? '',
    parameters: first?.scenario.parameters ?? {},
    stackId: first?.environment.stackId ?? '',
    startedAt: id.startedAt,
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - Date.parse(id.startedAt),
    requested: id.requested,
    passed,
    passRate: reports.length ? round4(passed / reports.length) : 0,
    confidence: { level: 0.95, method: 'wilson', ...wilsonInterval(passed, reports.length) },
    runs: reports.map((r, i) => ({
      index: i + 1,
      runId: r.runId,
      verdict: r.verdict,
      durationMs: r.durationMs,
      failedChecks: r.checks.filter((c) => !c.passed).map((c) => c.name),
      ...(r.checker?.orders ? { orders: r.checker.orders } : {}),
      report: relative(id.summaryDir, `${id.reportDirs[i]}/index.html`),
    })),
    failedChecks: [...failedChecks].map(([name, runs]) => ({ name, runs })),
    latency: Object.fromEntries(PHASES.map((p) => [p, latencyAcross(reports, p)])) as RunsSummary['latency'],
    exitCode: batchExitCode(reports),
  };
}
