/**
 * The record of an `eventflow explore` batch (explore.json; index.html is a
 * view of it): one row per run, each pointing at that run's own reports.
 * Plain data: the toolkit (cli/) fills it in, nothing here depends on cli/.
 */
import type { Verdict } from './model.js';

export const EXPLORE_SCHEMA_VERSION = 1;

export interface ExploreFault {
  /** 1-based number in the drawn schedule. */
  n: number;
  kind: string;
  target: string;
  /** Offset from the start of the load, ms. */
  atMs: number;
  /** Absent for a one-action fault (restart). */
  forMs?: number;
  /** "kill postgres @3.2s for 4.1s". */
  label: string;
  /** When it really was in force on that run (fault windows of the run's report, ms from the start of the load): timing is not replayed. */
  actual?: { fromMs: number; toMs?: number }[];
}

export interface ExploreRepro {
  /** Relative to the batch directory. */
  path: string;
  faults: ExploreFault[];
  /** Reruns spent shrinking, and whether any fault could be dropped. */
  reruns: number;
  shrunk: boolean;
}

export interface ExploreRun {
  /** 1-based. */
  index: number;
  seed: number;
  faults: ExploreFault[];
  verdict: Verdict;
  exitCode: number;
  durationMs: number;
  runId?: string;
  /** The run's own reports and scenario file, relative to the batch directory. */
  reportPath?: string;
  scenarioPath?: string;
  /** Findings per invariant (`lost`, `duplicated`, `oversold`, `conservation`…), as the run's checks counted them. */
  invariants: Record<string, number>;
  /** Purchases answered with an unknown outcome. */
  unknown?: number;
  /** p99 latency of purchases invoked during a fault window, ms. */
  p99DuringMs?: number;
  failedChecks: string[];
  error?: string;
  repro?: ExploreRepro;
}

export interface ExploreReport {
  schemaVersion: typeof EXPLORE_SCHEMA_VERSION;
  kind: 'explore';
  seed: number;
  generator: number;
  options: { runs: number; durationMs: number; faults: string[]; targets: string[]; maxFaults: number; rate: number; shrinkReruns: number };
  stackId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  verdict: Verdict;
  exitCode: number;
  runs: ExploreRun[];
  /** What a replay repeats and what it does not. */
  note: string;
}
