/**
 * The summary of `eventflow scenario <name> --runs N` (summary.json; index.html
 * is a view of it): how often the scenario passed, with a confidence interval,
 * which checks failed in which runs, and latency per phase across the runs.
 */
import type { OrderSplit, ParamValue, PhaseName, Verdict } from './model.js';

export const RUNS_SUMMARY_SCHEMA_VERSION = 1;

export interface BatchRun {
  /** 1-based. */
  index: number;
  runId: string;
  verdict: Verdict;
  durationMs: number;
  /** Names of the checks that failed in this run. */
  failedChecks: string[];
  orders?: OrderSplit;
  /** The run's report, relative to the summary's directory. */
  report: string;
}

export interface LatencyAcrossRuns {
  /** Purchases invoked in this phase, all runs together. */
  count: number;
  /** Percentiles of all those purchases' latencies (ms). */
  p50?: number;
  p95?: number;
  p99?: number;
  max?: number;
  /** How much each run's own p95 varied. */
  perRunP95?: { min: number; median: number; max: number };
}

export interface RunsSummary {
  schemaVersion: typeof RUNS_SUMMARY_SCHEMA_VERSION;
  kind: 'eventflow-runs-summary';
  batchId: string;
  scenario: string;
  parameters: Record<string, ParamValue>;
  stackId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Runs asked for; `runs.length` is less when interrupted. */
  requested: number;
  passed: number;
  passRate: number;
  /** Wilson score interval of the pass rate at 95 %. */
  confidence: { level: 0.95; method: 'wilson'; low: number; high: number };
  runs: BatchRun[];
  failedChecks: { name: string; runs: number[] }[];
  latency: Record<PhaseName, LatencyAcrossRuns>;
  exitCode: number;
}
