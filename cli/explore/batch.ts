/**
 * An explore batch: N schedules drawn from one seed, each validated and run
 * by the ordinary scenario engine, one after the other on one stack. A run
 * that fails is shrunk (bounded reruns) and gets a repro.yaml in its
 * directory; the batch's explore.json and index.html are rewritten after
 * every run, so an interrupted batch still has its summary.
 *
 *   <report-dir>/<batch-id>/index.html, explore.json
 *   <report-dir>/<batch-id>/runs/<run-id>/report.json, junit.xml, index.html, scenario.yaml[, repro.yaml]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { ExploreReport, ExploreRun } from '../../reports/explore-model.js';
import { EXPLORE_SCHEMA_VERSION } from '../../reports/explore-model.js';
import type { RunReport, Verdict } from '../../reports/model.js';
import { writeExploreReports } from '../../reports/write-explore.js';
import { writeRunReports, writeRunsIndex } from '../../reports/write.js';
import { exitCodeFor } from '../exit-codes.js';
import { newRunId, runScenario, type EngineHooks, type RunOptions } from '../scenario/engine.js';
import type { EngineListener } from '../scenario/events.js';
import type { TopologyNames } from '../scenario/topology-names.js';
import type { StackHandle } from '../stack/types.js';
import { scheduleYaml, validateSchedule } from './repro.js';
import { runSeed } from './rng.js';
import { drawSchedule, GENERATOR_VERSION, scheduleName, type ExploreOptions, type Schedule } from './schedule.js';
import { shrinkSchedule, type Rerun } from './shrink.js';
import { faultRecords, runEndLine, runRecord, runStartLine, summaryTable } from './summary.js';

export const TIMING_NOTE =
  'Same seed, same schedules: the faults, their targets, their order and the sleeps between them. Timing is not replayed: ' +
  'how long each fault action, restart and request takes differs from run to run, so a replay is the same experiment, not the same execution.';

/** Two runs in a row without a verdict (the stack is not coming back): the batch stops. */
const MAX_ERRORS_IN_A_ROW = 2;

export interface BatchPlan {
  seed: number;
  runs: number;
  explore: ExploreOptions;
  /** Reruns a failing run may spend shrinking (0: no shrinking). */
  shrinkReruns: number;
}

export interface BatchEnv {
  stack: StackHandle;
  ephemeral: boolean;
  topology: TopologyNames;
  signal: AbortSignal;
  /** Aborted by a second interrupt: heal, but do not wait for healed services to be healthy. */
  recoverySignal?: AbortSignal;
  reportDir: string;
  captureMetrics: RunOptions['captureMetrics'];
  /** The stack's dashboards for one run (Grafana), when it has any. */
  dashboards?(): RunOptions['dashboards'];
  hooks?: EngineHooks;
  out(line: string): void;
  /** The engine's own live log of each run (--verbose), indented. */
  runListeners(): EngineListener[];
}

/** Every schedule of the batch, drawn and validated before anything starts (a pure function of the plan). */
export function drawBatch(plan: BatchPlan, topology: TopologyNames): Schedule[] {
  return Array.from({ length: plan.runs }, (_, i) => {
    const s = drawSchedule(runSeed(plan.seed, i), plan.explore, { seed: plan.seed, run: i + 1, runs: plan.runs });
    validateSchedule(s, `${scheduleName(s)}.yaml`, topology);
    return s;
  });
}

export async function runBatch(plan: BatchPlan, schedules: readonly Schedule[], env: BatchEnv): Promise<{ report: ExploreReport; dir: string; index: string }> {
  const batchId = newRunId(`explore-seed-${plan.seed}`);
  const dir = join(env.reportDir, batchId);
  const runsDir = join(dir, 'runs');
  const started = Date.now();
  const results: ExploreRun[] = [];
  const assemble = (): ExploreReport => {
    const verdict = batchVerdict(results, env.signal.aborted);
    return {
      schemaVersion: EXPLORE_SCHEMA_VERSION,
      kind: 'explore',
      seed: plan.seed,
      generator: GENERATOR_VERSION,
      options: {
        runs: plan.runs,
        durationMs: plan.explore.durationMs,
        faults: [...plan.explore.kinds],
        targets: [...plan.explore.targets],
        maxFaults: plan.explore.maxFaults,
        rate: plan.explore.rate,
        shrinkReruns: plan.shrinkReruns,
      },
      stackId: env.stack.id,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      verdict,
      exitCode: exitCodeFor(verdict),
      runs: results,
      note: TIMING_NOTE,
    };
  };

  const runOne = async (s: Schedule): Promise<{ report: RunReport; runDir: string; scenarioFile: string }> => {
    const runId = newRunId(scheduleName(s));
    const runDir = join(runsDir, runId);
    const scenarioFile = join(runDir, 'scenario.yaml');
    await mkdir(runDir, { recursive: true });
    const valid = validateSchedule(s, scenarioFile, env.topology);
    await writeFile(scenarioFile, valid.source);
    const report = await runScenario({
      scenario: valid.scenario,
      params: valid.params,
      file: scenarioFile,
      source: valid.source,
      stack: env.stack,
      ephemeral: env.ephemeral,
      runId,
      signal: env.signal,
      recoverySignal: env.recoverySignal,
      listeners: env.runListeners(),
      captureMetrics: env.captureMetrics,
      dashboards: env.dashboards?.(),
      hooks: env.hooks,
    });
    await writeRunReports(report, runsDir);
    return { report, runDir, scenarioFile };
  };

  let errorsInARow = 0;
  for (const [i, s] of schedules.entries()) {
    if (env.signal.aborted) break;
    env.out(runStartLine(i + 1, plan.runs, s.seed, s.faults));
    const { report, runDir, scenarioFile } = await runOne(s);
    const row = runRecord(i + 1, s.seed, s.faults, report, { reportPath: relative(dir, join(runDir, 'index.html')), scenarioPath: relative(dir, scenarioFile) });
    if (report.verdict === 'fail') {
      const failedIds = new Set(report.checks.filter((c) => !c.passed).map((c) => c.id));
      const rerun = async (candidate: Schedule): Promise<Rerun> => {
        if (env.signal.aborted) return 'stop';
        env.out(`  shrink: without ${describeDropped(s, candidate)} …`);
        const again = (await runOne(candidate)).report;
        const verdict: Rerun = again.verdict === 'fail' && again.checks.some((c) => !c.passed && failedIds.has(c.id)) ? 'fails' : again.verdict === 'pass' || again.verdict === 'fail' ? 'passes' : 'stop';
        env.out(`  shrink: ${verdict === 'fails' ? 'still fails: dropped' : verdict === 'passes' ? 'passes without it: kept' : `no verdict (${again.verdict}): shrinking stops`}`);
        return verdict;
      };
      const shrunk = await shrinkSchedule(s, rerun, plan.shrinkReruns);
      const reproFile = join(runDir, 'repro.yaml');
      await writeFile(reproFile, scheduleYaml(shrunk.schedule));
      row.repro = { path: relative(dir, reproFile), faults: faultRecords(shrunk.schedule.faults), reruns: shrunk.reruns, shrunk: shrunk.schedule.faults.length < s.faults.length };
    }
    results.push(row);
    env.out(runEndLine(row, plan.runs));
    if (row.repro) env.out(`  repro: ${join(dir, row.repro.path)} (eventflow scenario ${join(dir, row.repro.path)})`);
    await writeExploreReports(assemble(), dir);
    errorsInARow = report.verdict === 'error' ? errorsInARow + 1 : 0;
    if (errorsInARow >= MAX_ERRORS_IN_A_ROW && i + 1 < schedules.length) {
      env.out(`${MAX_ERRORS_IN_A_ROW} runs in a row ended without a verdict (infrastructure): the remaining ${schedules.length - i - 1} run(s) are not started`);
      break;
    }
  }

  const report = assemble();
  await writeExploreReports(report, dir);
  const index = await writeRunsIndex(env.reportDir);
  if (results.length) env.out(`\n${summaryTable(results)}`);
  return { report, dir, index };
}

/** "fault 3 (kill api-2), fault 1 (pause redis)": what the candidate leaves out of the drawn schedule. */
function describeDropped(drawn: Schedule, candidate: Schedule): string {
  return drawn.faults.filter((f) => candidate.dropped.includes(f.n)).map((f) => `fault ${f.n} (${f.kind} ${f.target})`).join(', ');
}

/** Interrupted beats everything; a run that failed (a finding) beats one without a verdict. */
export function batchVerdict(runs: readonly Pick<ExploreRun, 'verdict'>[], interrupted: boolean): Verdict {
  if (interrupted || runs.some((r) => r.verdict === 'interrupted')) return 'interrupted';
  if (runs.some((r) => r.verdict === 'fail')) return 'fail';
  if (runs.some((r) => r.verdict === 'error') || runs.length === 0) return 'error';
  return 'pass';
}
