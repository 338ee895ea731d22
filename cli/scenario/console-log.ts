/**
 * The live console log of a run: one subscriber of the engine's events, one
 * line per event it knows, each stamped with the time since the run started:
 *
 *     +0.52s  ▶ kill-db: kill postgres
 */
import type { StepRecord } from '../../reports/model.js';
import { checkerLine } from '../../reports/summary-lines.js';
import type { EngineEvent, EngineEventType, EventOf } from './events.js';

type Formatters = { [T in EngineEventType]?: (e: EventOf<T>) => string | undefined };

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const STEP_MARK: Record<StepRecord['status'], string> = { ok: '✔', skipped: '·', failed: '✘', running: '…' };

const LINES: Formatters = {
  'stack-connected': (e) => `run ${e.runId} — scenario ${e.scenario} on stack ${e.stackId} (${e.gateway})`,
  'probe-result': (e) => `${e.result.ok ? '✔' : '✘'} steady state (${e.when}): ${e.result.name} — ${e.result.detail}`,
  'step-started': ({ step }) => `▶ ${step.id}: ${step.kind === 'wait' ? 'wait ' : ''}${step.label}`,
  'step-finished': ({ step }) => {
    // The auto-heal's start line says it all; a skip without a reason is silent.
    if (step.kind === 'heal' || (step.status === 'skipped' && !step.detail)) return undefined;
    const took = seconds((step.endMs ?? step.startMs) - step.startMs);
    return `${STEP_MARK[step.status]} ${step.id} (${took}s)${step.detail ? ` — ${step.detail}` : ''}${step.error && step.error !== step.detail ? ` — ${step.error}` : ''}`;
  },
  'background-load-waiting': (e) => `… waiting for background load ${e.stepId}`,
  'run-error': (e) => `✘ ${e.message}`,
  'rollback-healthy': (e) => `✔ rollback: ${e.services.join(', ')} healthy`,
  'checker-result': ({ result }) => `checker: ${checkerLine(result)}`,
  note: (e) => e.text,
  'run-finished': (e) => {
    const verdict = e.verdict === 'pass' ? '✔ PASS' : e.verdict === 'fail' ? `✘ FAIL (${e.failedChecks} check${e.failedChecks > 1 ? 's' : ''} failed)` : `✘ ${e.verdict.toUpperCase()}`;
    // the failed checks by name, so a log (a CI job's) says what failed without opening the report
    const why = e.failed.map((c) => `\n          ✘ ${c.name}${c.message ? `: ${c.message}` : ''}`).join('');
    return `${verdict} in ${seconds(e.durationMs)}s${why}`;
  },
};

/** The lines a run of a `--runs` batch prints: its problems and its outcome, not every step. */
export const BATCH_RUN_EVENTS: readonly EngineEventType[] = ['stack-connected', 'run-error', 'checker-result', 'run-finished'];

/** A subscriber that writes the run's lines through `write` (stdout in the CLI); `only`: just these events. */
export function consoleLog(write: (line: string) => void, only?: readonly EngineEventType[]): (event: EngineEvent) => void {
  let t0: number | undefined;
  return (event) => {
    if (event.type === 'run-started') t0 = event.startMs;
    if (only && !only.includes(event.type)) return;
    const text = (LINES[event.type] as ((e: EngineEvent) => string | undefined) | undefined)?.(event);
    if (text === undefined) return;
    write(`${`+${seconds(event.atMs - (t0 ?? event.atMs))}s`.padStart(8)}  ${text}`);
  };
}
