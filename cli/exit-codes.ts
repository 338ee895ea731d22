/** Documented, distinct exit codes of the eventflow CLI (see README, "Exit codes"). */
export const ExitCode = {
  Pass: 0,
  CheckFailed: 1,
  Usage: 2,
  Infrastructure: 3,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
