/**
 * Shrinking a failing schedule: drop its faults one at a time (the last
 * first), keep each drop after which the run still fails the same way, stop
 * after `maxReruns` reruns. One pass: bounded, and what is left is a schedule
 * in which every remaining fault was needed at least once.
 */
import { withoutFault, type Schedule } from './schedule.js';

/** The verdict of a rerun: fails the same way, passes (or fails otherwise), or no verdict (interrupted, infrastructure). */
export type Rerun = 'fails' | 'passes' | 'stop';

export interface Shrunk {
  schedule: Schedule;
  reruns: number;
}

export async function shrinkSchedule(failing: Schedule, rerun: (candidate: Schedule) => Promise<Rerun>, maxReruns: number): Promise<Shrunk> {
  let schedule = failing;
  let reruns = 0;
  for (const n of failing.faults.map((f) => f.n).reverse()) {
    if (reruns >= maxReruns || schedule.faults.length <= 1) break;
    const candidate = withoutFault(schedule, n);
    reruns++;
    const verdict = await rerun(candidate);
    if (verdict === 'stop') break;
    if (verdict === 'fails') schedule = candidate;
  }
  return { schedule, reruns };
}
