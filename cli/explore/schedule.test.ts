import { describe, expect, it } from 'vitest';
import { parseDuration, type FaultStepDef, type StepDef } from '../scenario/format.js';
import { defaultTopologyNames } from '../scenario/topology-names.js';
import { validateScenarioSource } from '../scenario/validate.js';
import { busyMs, EXPLORE_FAULT_KINDS, faultKind, type ExploreFaultKind } from './fault-kinds.js';
import { resolveTargets } from './options.js';
import { scheduleYaml, validateSchedule } from './repro.js';
import { runSeed } from './rng.js';
import { candidateTargets, drawSchedule, faultWindow, scheduleScenario, withoutFault, type ExploreOptions, type Schedule } from './schedule.js';

const topology = defaultTopologyNames(3);
const base: ExploreOptions = { durationMs: 20_000, kinds: EXPLORE_FAULT_KINDS, ...resolveTargets(undefined, topology), maxFaults: 3, rate: 10 };

/** A spread of option sets: kinds, targets (with and without whole groups), lengths, fault counts. */
function optionSets(): ExploreOptions[] {
  const sets: ExploreOptions[] = [base];
  const kindSets: ExploreFaultKind[][] = [['kill'], ['pause', 'disconnect'], ['restart'], [...EXPLORE_FAULT_KINDS]];
  const targetSets = [undefined, 'postgres', 'api', 'api,postgres,rabbitmq', 'db,cache,broker,api,worker,analytics,balancer'];
  const durations = [5_000, 12_000, 30_000, 120_000];
  let i = 0;
  for (const kinds of kindSets)
    for (const t of targetSets) sets.push({ ...base, kinds, ...resolveTargets(t, topology), durationMs: durations[i % durations.length]!, maxFaults: 1 + (i++ % 6) });
  return sets;
}

const serviceStates = { kill: 'down', stop: 'down', pause: 'paused', disconnect: 'disconnected' } as const;
const heals = { start: 'down', unpause: 'paused', reconnect: 'disconnected' } as const;

/** Walks the steps as the engine would: no fault on a broken service, nothing broken at the end, total sleep within the load. */
function simulate(steps: readonly StepDef[], groups: ExploreOptions['groups']): { brokenAtEnd: string[]; clashes: string[]; sleptMs: number } {
  const broken = new Map<string, string>();
  const clashes: string[] = [];
  let sleptMs = 0;
  for (const step of steps) {
    if ('sleep' in step) sleptMs += parseDuration(step.sleep, 0);
    if (!('fault' in step)) continue;
    const f = step as FaultStepDef;
    const target = f.target as string;
    for (const s of groups[target] ?? [target]) {
      if (f.fault in serviceStates) {
        if (broken.has(s)) clashes.push(`${f.id}: ${s} already ${broken.get(s)}`);
        broken.set(s, serviceStates[f.fault as keyof typeof serviceStates]);
      } else if (f.fault === 'restart') {
        if (broken.has(s)) clashes.push(`${f.id}: restart of ${s} while ${broken.get(s)}`);
      } else if (broken.get(s) === heals[f.fault as keyof typeof heals]) broken.delete(s);
      else clashes.push(`${f.id}: ${f.fault} ${s} heals nothing`);
    }
  }
  return { brokenAtEnd: [...broken.keys()], clashes, sleptMs };
}

describe('drawSchedule', () => {
  it('is a pure function of (seed, options): the same seed draws a deep-equal schedule and the same file', () => {
    for (const o of optionSets()) {
      for (const seed of [0, 1, 42, 2_147_483_647]) {
        expect(drawSchedule(seed, o)).toEqual(drawSchedule(seed, o));
        expect(scheduleYaml(drawSchedule(seed, o))).toBe(scheduleYaml(drawSchedule(seed, o)));
      }
    }
  }, 30_000);

  it('different seeds draw different schedules', () => {
    const files = new Set(Array.from({ length: 50 }, (_, seed) => JSON.stringify(drawSchedule(seed, base).faults)));
    expect(files.size).toBeGreaterThanOrEqual(45);
    expect(drawSchedule(1, base).faults).not.toEqual(drawSchedule(2, base).faults);
  });

  it('run seeds: run 1 of a batch is the batch seed, the others differ from each other and are stable', () => {
    expect(runSeed(7, 0)).toBe(7);
    const seeds = Array.from({ length: 20 }, (_, i) => runSeed(7, i));
    expect(new Set(seeds).size).toBe(20);
    expect(seeds).toEqual(Array.from({ length: 20 }, (_, i) => runSeed(7, i)));
    // --seed <a run's seed> --runs 1 draws that run's schedule again
    expect(drawSchedule(runSeed(7, 3), base)).toEqual(drawSchedule(seeds[3]!, base));
  });

  it('every drawn schedule validates with the real validator, heals everything, never faults a broken service, and fits in the load', () => {
    let faults = 0;
    let groupFaults = 0;
    for (const o of optionSets()) {
      const { fromMs, toMs } = faultWindow(o.durationMs);
      for (let seed = 0; seed < 40; seed++) {
        const s = drawSchedule(seed, o);
        // The validator is the slow part: every schedule of the first 8 seeds, then one in four.
        if (seed < 8 || seed % 4 === 0) expect(() => validateSchedule(s, 'drawn.yaml', topology)).not.toThrow();
        expect(s.faults.length).toBeGreaterThanOrEqual(1);
        expect(s.faults.length).toBeLessThanOrEqual(o.maxFaults);
        faults += s.faults.length;
        for (const f of s.faults) {
          expect(o.kinds).toContain(f.kind);
          expect([...o.targets, ...Object.keys(o.groups)]).toContain(f.target);
          if (o.groups[f.target]) groupFaults++;
          expect(f.atMs).toBeGreaterThanOrEqual(fromMs);
          expect(f.atMs + (f.forMs ?? 0)).toBeLessThanOrEqual(toMs);
        }
        const scenario = scheduleScenario(s);
        const sim = simulate(scenario.steps, o.groups);
        expect(sim.clashes, `seed ${seed}`).toEqual([]);
        expect(sim.brokenAtEnd, `seed ${seed}`).toEqual([]);
        expect(sim.sleptMs).toBeLessThanOrEqual(toMs);
        // The rollback heals whatever a fault could leave broken.
        // (gray faults need no rollback step: the fault ledger heals every one still applied)
        const needRollback = s.faults.filter((f) => faultKind(f.kind).rollback(f).length > 0);
        expect(scenario.rollback?.map((r) => r.target) ?? []).toEqual(expect.arrayContaining([...new Set(needRollback.map((f) => f.target))]));
      }
    }
    expect(faults).toBeGreaterThan(800);
    expect(groupFaults).toBeGreaterThan(0);
  }, 60_000);

  it('faults on one service never overlap (nor follow each other within the gap); faults on different services may', () => {
    let overlapping = 0;
    for (let seed = 0; seed < 300; seed++) {
      const s = drawSchedule(seed, { ...base, maxFaults: 6 });
      for (const a of s.faults)
        for (const b of s.faults) {
          if (a.n >= b.n) continue;
          const overlap = a.atMs < b.atMs + busyMs(b) && b.atMs < a.atMs + busyMs(a);
          const members = (t: string) => base.groups[t] ?? [t];
          if (members(a.target).some((m) => members(b.target).includes(m))) expect(overlap, `seed ${seed}: ${a.n} and ${b.n}`).toBe(false);
          else if (overlap) overlapping++;
        }
    }
    expect(overlapping).toBeGreaterThan(0);
  });

  it('a kind bound to some groups (a database lock, a dependency latency) is drawn on their services only', () => {
    expect(candidateTargets({}, base)).toEqual({ services: [...base.targets], groups: ['api'] });
    expect(candidateTargets({ appliesTo: ['db'] }, base)).toEqual({ services: ['postgres'], groups: [] });
    expect(candidateTargets({ appliesTo: ['db', 'cache', 'broker'] }, base).services).toEqual(['postgres', 'redis', 'rabbitmq']);
    expect(candidateTargets({ appliesTo: ['api'] }, base)).toEqual({ services: ['api-1', 'api-2', 'api-3'], groups: ['api'] });
    expect(candidateTargets({ appliesTo: ['db'] }, { ...base, ...resolveTargets('api', topology) }).services).toEqual([]);
  });

  it('refuses a duration with no room for a fault, and empty kinds or targets', () => {
    expect(() => drawSchedule(1, { ...base, durationMs: 4_000 })).toThrow(/shorter/);
    expect(() => drawSchedule(1, { ...base, kinds: [] })).toThrow(/no fault kinds/);
  });
});

describe('the schedule as a scenario file (scenario.yaml / repro.yaml)', () => {
  const s = drawSchedule(1, { ...base, maxFaults: 4 }, { seed: 1, run: 1, runs: 5 });

  it('round-trips: the YAML validates to exactly the scenario drawn', () => {
    const source = scheduleYaml(s);
    const r = validateScenarioSource(source, 'repro.yaml', { topology });
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    expect(r.scenario).toEqual(scheduleScenario(s));
    expect(r.params).toEqual({});
  });

  it('says what it replays and what it does not, and how to run it', () => {
    const source = scheduleYaml(s);
    expect(source).toMatch(/^# Drawn by eventflow explore \(generator 2\), seed 1: run 1 of 5/);
    expect(source).toContain('not the timing');
    expect(source).toContain('eventflow scenario');
    expect(scheduleScenario(s).description).toContain('not the timing');
  });

  it('orders the steps as the timeline: load first, each fault before its heal, then the loads awaited, health, drain', () => {
    const steps = scheduleScenario(s).steps;
    const ids = steps.map((x) => x.id ?? Object.keys(x).find((k) => k !== 'id'));
    expect(ids.slice(0, 3)).toEqual(['load', 'adversarial', 'contention']);
    expect(ids.slice(-4)).toEqual(['await-load', 'await-load', 'recovered', 'drained']);
    for (const f of s.faults) {
      const inject = ids.indexOf(`f${f.n}-${f.kind}-${f.target}`);
      expect(inject).toBeGreaterThan(1);
      if (f.forMs !== undefined) expect(ids.indexOf(`h${f.n}-${f.target}`)).toBeGreaterThan(inject);
    }
  });

  it('without a fault (shrinking): the others keep their times, the name and description say it was shrunk, and it still validates', () => {
    const first = s.faults[0]!;
    const smaller: Schedule = withoutFault(s, first.n);
    expect(smaller.faults).toEqual(s.faults.slice(1));
    expect(smaller.dropped).toEqual([first.n]);
    expect(scheduleScenario(smaller).name).toBe('explore-1-min');
    expect(scheduleScenario(smaller).description).toMatch(/dropped/);
    expect(() => validateSchedule(smaller, 'min.yaml', topology)).not.toThrow();
  });
});
