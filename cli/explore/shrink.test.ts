import { describe, expect, it } from 'vitest';
import { EXPLORE_FAULT_KINDS } from './fault-kinds.js';
import { resolveTargets } from './options.js';
import { defaultTopologyNames } from '../scenario/topology-names.js';
import { drawSchedule, type Schedule } from './schedule.js';
import { shrinkSchedule, type Rerun } from './shrink.js';

const options = { durationMs: 30_000, kinds: EXPLORE_FAULT_KINDS, ...resolveTargets(undefined, defaultTopologyNames(3)), maxFaults: 6, rate: 10 };

/** A schedule of at least `n` faults (drawn: the first seed that gives as many). */
function scheduleWith(n: number): Schedule {
  for (let seed = 0; seed < 1000; seed++) {
    const s = drawSchedule(seed, options);
    if (s.faults.length >= n) return s;
  }
  throw new Error(`no seed below 1000 draws ${n} faults`);
}

describe('shrinkSchedule', () => {
  const drawn = scheduleWith(4);
  const culprit = drawn.faults[1]!.n;
  /** Fails exactly when the culprit fault is still in the schedule. */
  const needsCulprit = async (c: Schedule): Promise<Rerun> => (c.faults.some((f) => f.n === culprit) ? 'fails' : 'passes');

  it('drops every fault the failure does not need (the last first), one rerun each', async () => {
    const tried: number[][] = [];
    const r = await shrinkSchedule(drawn, async (c) => (tried.push(c.faults.map((f) => f.n)), needsCulprit(c)), 50);
    expect(r.schedule.faults.map((f) => f.n)).toEqual([culprit]);
    expect(r.schedule.dropped).toEqual(drawn.faults.map((f) => f.n).filter((n) => n !== culprit));
    expect(r.reruns).toBe(drawn.faults.length); // every fault tried once (the culprit too: it is kept)
    expect(tried[0]).toEqual(drawn.faults.slice(0, -1).map((f) => f.n));
  });

  it('keeps a fault whose removal makes the run pass', async () => {
    const both = new Set([drawn.faults[0]!.n, drawn.faults[2]!.n]);
    const r = await shrinkSchedule(drawn, async (c) => ([...both].every((n) => c.faults.some((f) => f.n === n)) ? 'fails' : 'passes'), 50);
    expect(new Set(r.schedule.faults.map((f) => f.n))).toEqual(both);
  });

  it('stops after maxReruns, and at once on a rerun without a verdict', async () => {
    expect((await shrinkSchedule(drawn, needsCulprit, 2)).reruns).toBe(2);
    const none = await shrinkSchedule(drawn, needsCulprit, 0);
    expect(none).toEqual({ schedule: drawn, reruns: 0 });
    const stopped = await shrinkSchedule(drawn, async () => 'stop', 50);
    expect(stopped).toEqual({ schedule: drawn, reruns: 1 });
  });

  it('never drops the last fault', async () => {
    const r = await shrinkSchedule(drawn, async () => 'fails', 50);
    expect(r.schedule.faults).toHaveLength(1);
    expect(r.schedule.faults[0]).toEqual(drawn.faults[0]);
  });
});
