/**
 * `eventflow scenario <name> --runs N`: the same scenario N times on the same
 * stack, one after the other, each with its own report; stops early only when
 * interrupted. The summary is built from the reports (runs-summary.ts).
 */
import { randomBytes } from 'node:crypto';
import type { RunReport } from '../../reports/model.js';
import type { Progress } from '../progress.js';

export interface BatchRun {
  report: RunReport;
  /** Where its reports were written. */
  dir: string;
}

export interface BatchOptions {
  runs: number;
  /** Runs the scenario once (index from 1) and writes its report. */
  runOne: (index: number) => Promise<BatchRun>;
  signal?: AbortSignal;
  progress: Progress;
}

export function newBatchId(scenario: string, runs: number, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
  return `${stamp}-${scenario.slice(0, 40)}-x${runs}-${randomBytes(2).toString('hex')}`;
}

export async function runBatch(o: BatchOptions): Promise<BatchRun[]> {
  const done: BatchRun[] = [];
  o.progress.update(0);
  for (let i = 1; i <= o.runs && !o.signal?.aborted; i++) {
    const run = await o.runOne(i);
    done.push(run);
    o.progress.update(i, `run ${i}/${o.runs}: ${run.report.verdict.toUpperCase()} in ${(run.report.durationMs / 1000).toFixed(2)} s — ${run.dir}/index.html`);
    if (run.report.verdict === 'interrupted') break;
  }
  o.progress.end();
  return done;
}
