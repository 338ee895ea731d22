/**
 * A fault schedule: a pure function of (seed, options). It is drawn once, then
 * written as an ordinary scenario file (the language users write): background
 * load, the faults in time order with sleeps between them, a heal for each,
 * waits for health and for the backlog, a rollback that heals everything.
 * The run is that scenario on the ordinary engine, and a failing run's
 * repro.yaml is that scenario again.
 */
import type { FaultStepDef, LoadStepDef, ScenarioFile, StepDef } from '../scenario/format.js';
import { busyMs, describeFault, faultKind, healStepId, injectStepId, type ExploreFaultKind, type FaultKindSpec, type PlannedFault } from './fault-kinds.js';
import { backgroundLoad, loadIds } from './load.js';
import { createRng, type Rng } from './rng.js';

/** Bump when the same seed and options would draw a different schedule. */
export const GENERATOR_VERSION = 2;

export interface ExploreOptions {
  /** How long the load runs; every fault starts and heals within it. */
  durationMs: number;
  kinds: readonly ExploreFaultKind[];
  /** Services a fault may hit (names of the stack's topology). */
  targets: readonly string[];
  /** Groups every member of which is a target: a fault may hit the whole group at once. */
  groups: Readonly<Record<string, readonly string[]>>;
  /** The group of each target (for kinds that act on some groups only). */
  groupOf: Readonly<Record<string, string>>;
  /** Each run draws 1..maxFaults faults. */
  maxFaults: number;
  /** Requests per second of the background load. */
  rate: number;
}

export interface Schedule {
  generator: number;
  seed: number;
  /** Which run of which batch drew it (for the description and the reports). */
  batch?: { seed: number; run: number; runs: number };
  durationMs: number;
  load: LoadStepDef[];
  faults: PlannedFault[];
  /** Numbers of the drawn faults that shrinking dropped. */
  dropped: number[];
}

/** Time is drawn in steps of this (readable files). */
const TICK_MS = 100;
const MIN_FAULT_MS = 1_000;
/** No second fault on a service sooner than this after the first one healed (it needs time to come back). */
const GAP_MS = 2_000;
/** Chance that a fault hits a whole group rather than one service (when a group is allowed). */
const GROUP_CHANCE = 0.1;
const PLACEMENT_TRIES = 10;
const HEALTHY_TIMEOUT = '90s';
const DRAIN_TIMEOUT = '60s';

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
const ticks = (ms: number) => Math.floor(ms / TICK_MS);

/** Where faults may be: after a warm-up (a "before" phase), and healed before a cool-down (an "after" phase). */
export function faultWindow(durationMs: number): { fromMs: number; toMs: number; maxForMs: number } {
  const fromMs = clamp(Math.round(durationMs * 0.15), 1_000, 5_000);
  const toMs = durationMs - clamp(Math.round(durationMs * 0.2), 2_000, 8_000);
  return { fromMs, toMs, maxForMs: Math.max(MIN_FAULT_MS, Math.min(clamp(durationMs * 0.4, 2_000, 15_000), toMs - fromMs)) };
}

/** The shortest duration that leaves room for one fault. */
export const MIN_DURATION_MS = 5_000;

export function drawSchedule(seed: number, o: ExploreOptions, batch?: Schedule['batch']): Schedule {
  if (o.durationMs < MIN_DURATION_MS) throw new Error(`duration ${o.durationMs} ms is shorter than ${MIN_DURATION_MS} ms`);
  if (!o.kinds.length || !o.targets.length) throw new Error('no fault kinds or no targets to draw from');
  const rng = createRng(seed);
  const load = backgroundLoad(rng, { durationMs: o.durationMs, rate: o.rate });
  const count = rng.int(1, Math.max(1, o.maxFaults));
  const faults: PlannedFault[] = [];
  for (let n = 1; n <= count; n++) {
    const f = placeFault(rng, o, faults, n);
    if (f) faults.push(f);
  }
  // Numbered in time order (what a reader of the file sees).
  faults.sort((a, b) => a.atMs - b.atMs || a.n - b.n).forEach((f, i) => (f.n = i + 1));
  return { generator: GENERATOR_VERSION, seed, ...(batch ? { batch } : {}), durationMs: o.durationMs, load, faults, dropped: [] };
}

/** One fault that does not overlap another on the same service; undefined when none fits in a few tries. */
function placeFault(rng: Rng, o: ExploreOptions, placed: readonly PlannedFault[], n: number): PlannedFault | undefined {
  // only kinds with something to act on among the targets (a database lock needs the database)
  const usable = o.kinds.filter((k) => candidateTargets(faultKind(k), o).services.length > 0);
  if (!usable.length) return undefined;
  const kind = rng.pick(usable);
  const spec = faultKind(kind);
  const { fromMs, toMs, maxForMs } = faultWindow(o.durationMs);
  const { services, groups } = candidateTargets(spec, o);
  if (!services.length) return undefined;
  for (let i = 0; i < PLACEMENT_TRIES; i++) {
    const target = groups.length && rng.chance(GROUP_CHANCE) ? rng.pick(groups) : rng.pick(services);
    const forMs = spec.windowed ? rng.int(ticks(MIN_FAULT_MS), ticks(maxForMs)) * TICK_MS : undefined;
    const atMs = rng.int(ticks(fromMs), ticks(toMs - (forMs ?? 0))) * TICK_MS;
    const params = spec.draw(rng, { target, targets: o.targets });
    const f: PlannedFault = { n, kind, target, atMs, ...(forMs !== undefined ? { forMs } : {}), params };
    if (placed.every((p) => !clashes(p, f, o))) return f;
  }
  return undefined;
}

/** The targets a kind can act on: services of its groups, and whole groups that are its groups. */
export function candidateTargets(spec: Pick<FaultKindSpec, 'appliesTo'>, o: Pick<ExploreOptions, 'targets' | 'groups' | 'groupOf'>): { services: string[]; groups: string[] } {
  const fits = (group: string | undefined) => !spec.appliesTo || (group !== undefined && (spec.appliesTo as readonly string[]).includes(group));
  return { services: o.targets.filter((s) => fits(o.groupOf[s])), groups: Object.keys(o.groups).filter(fits) };
}

function clashes(a: PlannedFault, b: PlannedFault, o: ExploreOptions): boolean {
  const members = (t: string) => o.groups[t] ?? [t];
  const shared = members(a.target).some((s) => members(b.target).includes(s));
  return shared && a.atMs < b.atMs + busyMs(b) + GAP_MS && b.atMs < a.atMs + busyMs(a) + GAP_MS;
}

/** The schedule without fault `n` (shrinking). */
export function withoutFault(s: Schedule, n: number): Schedule {
  return { ...s, faults: s.faults.filter((f) => f.n !== n), dropped: [...s.dropped, n].sort((a, b) => a - b) };
}

export function scheduleName(s: Schedule): string {
  return `explore-${s.seed}${s.dropped.length ? '-min' : ''}`;
}

/** The schedule as a scenario file (validated like any other before it runs). */
export function scheduleScenario(s: Schedule): ScenarioFile {
  const timeline: { atMs: number; heal: boolean; n: number; step: StepDef; holdsMs: number }[] = [];
  for (const f of s.faults) {
    const spec = faultKind(f.kind);
    const injectId = injectStepId(f);
    timeline.push({ atMs: f.atMs, heal: false, n: f.n, step: spec.inject(f, injectId), holdsMs: spec.holdsMs ?? 0 });
    if (spec.heal && f.forMs !== undefined) timeline.push({ atMs: f.atMs + f.forMs, heal: true, n: f.n, step: spec.heal(f, healStepId(f), injectId), holdsMs: 0 });
  }
  // In time order; at the same instant, heals first (a service is free before the next fault takes it).
  timeline.sort((a, b) => a.atMs - b.atMs || Number(b.heal) - Number(a.heal) || a.n - b.n);

  const steps: StepDef[] = [...s.load];
  let t = 0;
  for (const e of timeline) {
    if (e.atMs > t) steps.push({ sleep: `${e.atMs - t}ms` });
    t = Math.max(t, e.atMs) + e.holdsMs;
    steps.push(e.step);
  }
  const targets = unique(s.faults.map((f) => f.target));
  steps.push(...loadIds(s.load).map((id) => ({ 'await-load': id })));
  if (targets.length) steps.push({ id: 'recovered', wait: { until: 'service-healthy', target: targets, timeout: HEALTHY_TIMEOUT } });
  steps.push({ id: 'drained', wait: { until: 'backlog-drained', timeout: DRAIN_TIMEOUT } });

  const rollback: FaultStepDef[] = [];
  const seen = new Set<string>();
  for (const step of s.faults.flatMap((f) => faultKind(f.kind).rollback(f))) {
    const key = `${step.fault} ${JSON.stringify(step.target)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rollback.push(step);
  }

  return {
    version: 1,
    name: scheduleName(s),
    description: describeSchedule(s),
    'steady-state': [
      { probe: 'cluster-ok' as const },
      // (a schedule can draw no fault: options whose kinds fit none of the targets)
      ...(targets.length ? [{ name: 'every fault target healthy', probe: 'healthy' as const, targets }] : []),
    ],
    steps,
    ...(rollback.length ? { rollback } : {}),
  };
}

export function describeSchedule(s: Schedule): string {
  const origin = s.batch ? ` (run ${s.batch.run} of ${s.batch.runs} of \`eventflow explore --seed ${s.batch.seed}\`)` : '';
  const dropped = s.dropped.length ? ` Shrunk: fault${s.dropped.length > 1 ? 's' : ''} ${s.dropped.join(', ')} of the drawn schedule dropped, it still fails.` : '';
  return (
    `Drawn by eventflow explore (generator ${s.generator}) from seed ${s.seed}${origin}: ${s.faults.map(describeFault).join('; ') || 'no fault'}, ` +
    `under ${(s.durationMs / 1000).toFixed(1)}s of background load.${dropped} ` +
    'Replaying it repeats the schedule (the faults, their targets, their order and the sleeps between them), not the timing: ' +
    'how long each fault action, each restart and each request take differs from run to run.'
  );
}

function unique<T>(list: readonly T[]): T[] {
  return [...new Set(list)];
}

export type { PlannedFault } from './fault-kinds.js';
