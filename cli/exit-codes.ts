/** Documented, distinct exit codes of the eventflow CLI (see README, "Exit codes"). */
import type { Verdict } from '../reports/model.js';

export const ExitCode = {
  Pass: 0,
  CheckFailed: 1,
  Usage: 2,
  Infrastructure: 3,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_VERDICT: Record<Verdict, ExitCode> = {
  pass: ExitCode.Pass,
  fail: ExitCode.CheckFailed,
  error: ExitCode.Infrastructure,
  interrupted: ExitCode.Interrupted,
};

/** The exit code of `eventflow scenario` for a run's verdict. */
export function exitCodeFor(verdict: Verdict): ExitCode {
  return BY_VERDICT[verdict];
}
