/** The verdict of a run: interrupted beats an infrastructure error, which beats a failed check. */
import type { Verdict } from '../../reports/model.js';

export function decideVerdict(run: { aborted: boolean; infraFailure: boolean; failedChecks: number }): Verdict {
  if (run.aborted) return 'interrupted';
  if (run.infraFailure) return 'error';
  return run.failedChecks ? 'fail' : 'pass';
}
