/**
 * What an explore batch says about each run: the row of the summary (from the
 * run's own report) and the terminal lines — one when a run starts, one when
 * it ends, the table at the end.
 */
import chalk from 'chalk';
import type { ExploreFault, ExploreRun } from '../../reports/explore-model.js';
import type { RunReport, Verdict } from '../../reports/model.js';
import { SUMMARY_INVARIANTS } from '../../reports/writers/explore.js';
import { seconds, table } from '../ui/table.js';
import { describeFault, injectStepId, type PlannedFault } from './fault-kinds.js';

export function faultRecords(faults: readonly PlannedFault[]): ExploreFault[] {
  return faults.map((f) => ({ n: f.n, kind: f.kind, target: f.target, atMs: f.atMs, ...(f.forMs !== undefined ? { forMs: f.forMs } : {}), label: describeFault(f) }));
}

/** The planned faults with the windows the run's report measured for each (its step's services, its action), from the start of the load. */
export function faultsAsRun(faults: readonly PlannedFault[], report: RunReport): ExploreFault[] {
  const t0 = report.steps.find((s) => s.kind === 'load')?.startMs ?? report.startMs;
  const rel = (ms: number) => Math.round(ms - t0);
  return faults.map((planned) => {
    const f = faultRecords([planned])[0]!;
    const services = report.steps.find((s) => s.id === injectStepId(planned))?.services ?? [];
    const actual = report.faultWindows
      .filter((w) => w.action === f.kind && services.includes(w.service))
      .map((w) => ({ fromMs: rel(w.startMs), ...(w.endMs !== undefined ? { toMs: rel(w.endMs) } : {}) }));
    return { ...f, actual };
  });
}

/** Findings per invariant, as the run's `invariant.<name>` checks counted them (whatever invariants the checker has). */
export function invariantCounts(report: RunReport): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of report.checks) {
    const name = c.id.startsWith('invariant.') ? c.id.slice('invariant.'.length) : undefined;
    if (name && name !== 'unknown' && typeof c.value === 'number') counts[name] = c.value;
  }
  return counts;
}

export function runRecord(index: number, seed: number, faults: readonly PlannedFault[], report: RunReport, paths: { reportPath: string; scenarioPath: string }): ExploreRun {
  const p99 = report.history.phases.during.purchase.latency.p99;
  return {
    index,
    seed,
    faults: faultsAsRun(faults, report),
    verdict: report.verdict,
    exitCode: report.exitCode,
    durationMs: report.durationMs,
    runId: report.runId,
    ...paths,
    invariants: invariantCounts(report),
    ...(report.checker ? { unknown: report.checker.unknown.count } : {}),
    ...(p99 !== undefined ? { p99DuringMs: Math.round(p99) } : {}),
    failedChecks: report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.message}`),
    ...(report.error ? { error: report.error } : {}),
  };
}

const VERDICT_WORD: Record<Verdict, string> = { pass: chalk.green('PASS'), fail: chalk.red('FAIL'), error: chalk.magenta('ERROR'), interrupted: chalk.yellow('INTERRUPTED') };
const MARK: Record<Verdict, string> = { pass: chalk.green('✔'), fail: chalk.red('✘'), error: chalk.magenta('✘'), interrupted: chalk.yellow('·') };

export function runStartLine(index: number, runs: number, seed: number, faults: readonly PlannedFault[]): string {
  return `${chalk.bold(`run ${index}/${runs}`)} seed ${seed}: ${faults.map(describeFault).join('; ')}`;
}

function findings(r: ExploreRun): string {
  const shown = SUMMARY_INVARIANTS.filter((k) => r.invariants[k] !== undefined).map((k) => `${k} ${r.invariants[k]}`);
  return [...shown, r.p99DuringMs !== undefined ? `p99 during faults ${r.p99DuringMs} ms` : ''].filter(Boolean).join(' · ');
}

export function runEndLine(r: ExploreRun, runs: number): string {
  const failed = r.failedChecks.length ? `\n    ${chalk.red(r.failedChecks.slice(0, 5).join('\n    '))}` : '';
  return `${MARK[r.verdict]} run ${r.index}/${runs} seed ${r.seed} ${VERDICT_WORD[r.verdict]} in ${seconds(r.durationMs)}${findings(r) ? ` — ${findings(r)}` : ''}${r.error ? ` — ${r.error}` : ''}${failed}`;
}

export function summaryTable(rows: readonly ExploreRun[]): string {
  const cell = (v: number | undefined) => (v === undefined ? '—' : v ? chalk.red(String(v)) : '0');
  return table(
    rows.map((r) => [
      String(r.index),
      String(r.seed),
      VERDICT_WORD[r.verdict],
      ...SUMMARY_INVARIANTS.map((k) => cell(r.invariants[k])),
      r.p99DuringMs === undefined ? '—' : `${r.p99DuringMs} ms`,
      seconds(r.durationMs),
      r.faults.map((f) => f.label).join('; '),
    ]),
    ['run', 'seed', 'verdict', ...SUMMARY_INVARIANTS, 'p99 during', 'time', 'faults'],
  );
}
