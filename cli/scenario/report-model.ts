/** The run record: everything report.json holds; junit.xml and index.html are views of it. */
import type { ServiceInfo } from '../stack/types.js';
import type { CheckerResult } from './checker.js';
import type { ScenarioFile } from './format.js';
import type { HistorySummary, Op } from './history.js';
import type { FaultWindow, PhaseTable, Timings } from './stats.js';
import type { ParamValue } from './validate.js';

export const REPORT_SCHEMA_VERSION = 1;

export type Verdict = 'pass' | 'fail' | 'error' | 'interrupted';

export interface StepRecord {
  index: number;
  id: string;
  kind: 'fault' | 'load' | 'wait' | 'await-load' | 'sleep' | 'rollback' | 'heal';
  /** Human summary, e.g. "kill postgres", "5 purchases, concurrency 5". */
  label: string;
  section: 'steps' | 'rollback';
  startMs: number;
  endMs?: number;
  durationMs?: number;
  status: 'ok' | 'failed' | 'skipped' | 'running';
  detail?: string;
  error?: string;
  /** Services a fault acted on (random targets resolved). */
  services?: string[];
}

export interface ProbeResult {
  name: string;
  kind: string;
  ok: boolean;
  detail: string;
  atMs: number;
  durationMs: number;
}

export type CheckCategory = 'steady-state' | 'invariant' | 'expectation' | 'threshold' | 'step';

export interface Check {
  id: string;
  name: string;
  category: CheckCategory;
  passed: boolean;
  /** Measured value (count, ratio, ms). */
  value?: number | string;
  limit?: number | string;
  message: string;
}

/** Time series captured from Prometheus after the run (optional). */
export type MetricsSeries = Record<string, { labels: Record<string, string>; points: [number, number][] }[]>;

export interface WallPhases {
  setupMs: number;
  faultMs: number;
  purchasesMs: number;
  recoveryMs: number;
  drainMs: number;
  checksMs: number;
  rollbackMs: number;
  totalMs: number;
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  /** Idempotency keys of this run start with it. */
  keyPrefix: string;
  scenario: { name: string; description?: string; file: string; source: string; parameters: Record<string, ParamValue>; definition: ScenarioFile };
  verdict: Verdict;
  exitCode: number;
  error?: string;
  startedAt: string;
  finishedAt: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  environment: {
    stackId: string;
    ephemeral: boolean;
    gateway: string;
    node: string;
    platform: string;
    hostname: string;
    eventflowVersion: string;
    services?: ServiceInfo[];
  };
  steps: StepRecord[];
  probes: { before: ProbeResult[]; after: ProbeResult[] };
  faultWindows: FaultWindow[];
  history: { summary: HistorySummary; phases: PhaseTable; ops: Op[] };
  timings: Timings;
  checker?: CheckerResult;
  checks: Check[];
  wall: WallPhases;
  warnings: string[];
  metrics?: MetricsSeries;
}
