/**
 * What `eventflow explore` can inject: one entry per fault kind, saying how to
 * draw its parameters and which scenario steps break and heal it. The
 * generator knows no kind by name; a new kind the scenario format learns
 * (a gray fault) is one more entry here.
 */
import type { FaultStepDef, StepDef } from '../scenario/format.js';
import type { ServiceGroup } from '../stack/types.js';
import type { Rng } from './rng.js';

/** A fault's own parameters, as drawn (for kill: the signal). Plain JSON values. */
export type FaultParams = Readonly<Record<string, string | number | boolean>>;

/** One fault of a schedule: what, on what, when and for how long. */
export interface PlannedFault {
  /** 1-based number in the original schedule (kept when shrinking drops others). */
  n: number;
  kind: ExploreFaultKind;
  /** A service name, or a group whose members are all allowed targets. */
  target: string;
  /** Offset from the start of the load, ms. */
  atMs: number;
  /** How long it lasts before its heal step; absent for a kind with no window of its own (restart). */
  forMs?: number;
  params: FaultParams;
}

export interface FaultKindSpec {
  /** The service groups it can act on (e.g. a database lock: db); absent = any service. */
  appliesTo?: readonly ServiceGroup[];
  /** False for a kind that is one action (a restart): it has no heal step. */
  windowed: boolean;
  /** How long a kind without a window keeps its service busy (no other fault on it meanwhile). */
  busyMs?: number;
  /** How long its inject step itself lasts (db-lock holds for its duration): the schedule's clock moves on by that much. */
  holdsMs?: number;
  /**
   * Its own parameters, drawn from the run's generator once its target is chosen (a partition draws its
   * peers among the other targets). Only from `rng`: the order of draws is part of the schedule.
   */
  draw(rng: Rng, on: { target: string; targets: readonly string[] }): FaultParams;
  /** The step that breaks; `id` is the generator's. */
  inject(f: PlannedFault, id: string): StepDef;
  /** The step that heals, placed `forMs` later; `injectId` is the breaking step's id. */
  heal?(f: PlannedFault, id: string, injectId: string): StepDef;
  /** Fault steps for the scenario's rollback (skipped at run time when nothing is left to undo). */
  rollback(f: PlannedFault): FaultStepDef[];
}

/** A container fault healed by another container action (kill → start, pause → unpause…). */
function containerFault(action: FaultStepDef['fault'], healAction: FaultStepDef['fault'], more: Pick<FaultKindSpec, 'draw'> & { fields?(p: FaultParams): Partial<FaultStepDef> } = { draw: () => ({}) }): FaultKindSpec {
  return {
    windowed: true,
    draw: more.draw,
    inject: (f, id) => ({ id, fault: action, target: f.target, ...more.fields?.(f.params) }),
    heal: (f, id) => ({ id, fault: healAction, target: f.target }),
    rollback: (f) => [{ fault: healAction, target: f.target }],
  };
}

/**
 * A gray fault (scenarios/README.md, "Gray faults"): held for its window, healed by a `heal:` step;
 * rollback needs no step of its own (the fault ledger heals every gray fault still applied).
 */
function grayFault(action: FaultStepDef['fault'], draw: FaultKindSpec['draw'], appliesTo?: readonly ServiceGroup[]): FaultKindSpec {
  return {
    windowed: true,
    ...(appliesTo ? { appliesTo } : {}),
    draw,
    inject: (f, id) => ({ id, fault: action, target: f.target, ...grayFields(f.params) }),
    heal: (_f, id, injectId) => ({ id, heal: injectId }),
    rollback: () => [],
  };
}

/** Drawn parameters as the step's fields (`peers` is drawn as a comma list). */
function grayFields(p: FaultParams): Partial<FaultStepDef> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) out[k] = k === 'peers' ? String(v).split(',') : v;
  return out as Partial<FaultStepDef>;
}

/** EventFlow's own processes (they shut down cleanly on SIGTERM): the api nodes, their group, the notifier, analytics. */
const OWN_SERVICE = /^(api(-\d+)?|notifier|analytics|worker)$/;

/** The dependencies the fault proxy stands in front of (latency, timeout and reset act there). */
const PROXIED: readonly ServiceGroup[] = ['db', 'cache', 'broker'];

/** Every kind `--faults` accepts. */
export const EXPLORE_FAULT_KINDS = ['kill', 'stop', 'pause', 'disconnect', 'restart', 'loss', 'partition', 'bandwidth', 'throttle', 'db-lock', 'latency', 'timeout', 'reset'] as const;
export type ExploreFaultKind = (typeof EXPLORE_FAULT_KINDS)[number];
/**
 * The kinds drawn when `--faults` is not given: the whole-container faults and the gray faults the
 * system is known to survive. `timeout` (a frozen dependency) is left to `--faults` while the
 * built-in `db-freeze` scenario documents what it costs.
 */
export const DEFAULT_EXPLORE_FAULT_KINDS: readonly ExploreFaultKind[] = ['kill', 'stop', 'pause', 'disconnect', 'restart', 'loss', 'throttle', 'latency'];

const FAULT_KINDS: Record<ExploreFaultKind, FaultKindSpec> = {
  // SIGKILL mostly (a crash); sometimes SIGTERM (a clean shutdown in the middle of work) — for EventFlow's own
  // services only: PostgreSQL takes SIGTERM as a *smart* shutdown that waits for every client to leave, so with
  // the services' pools connected it stays "shutting down" and `start` finds it still running (found by a soak).
  kill: containerFault('kill', 'start', {
    draw: (rng, on) => ({ signal: OWN_SERVICE.test(on.target) && rng.chance(0.25) ? 'SIGTERM' : 'SIGKILL' }),
    fields: (p) => ({ signal: String(p.signal) }),
  }),
  stop: containerFault('stop', 'start'),
  pause: containerFault('pause', 'unpause'),
  disconnect: containerFault('disconnect', 'reconnect'),
  restart: {
    windowed: false,
    busyMs: 8_000,
    draw: () => ({}),
    inject: (f, id) => ({ id, fault: 'restart', target: f.target }),
    // A restart that failed half-way leaves the service down: start it.
    rollback: (f) => [{ fault: 'start', target: f.target }],
  },
  loss: grayFault('loss', (rng) => ({ percent: rng.pick([10, 20, 40, 60]) })),
  partition: grayFault('partition', (rng, on) => {
    // cut off from another target; with a single target, from the database (or, for it, the gateway)
    const others = on.targets.filter((t) => t !== on.target);
    const peer = others.length ? rng.pick(others) : on.target === 'postgres' ? 'nginx' : 'postgres';
    return { peers: peer, ...(rng.chance(0.3) ? { oneWay: true } : {}) };
  }),
  bandwidth: grayFault('bandwidth', (rng) => ({ rate: rng.pick(['256kbit', '1mbit', '4mbit']) })),
  throttle: grayFault('throttle', (rng) => ({ cpus: rng.pick([0.05, 0.1, 0.25]) })),
  'db-lock': {
    ...grayFault('db-lock', (rng) => ({ table: 'events', mode: rng.pick(['EXCLUSIVE', 'ACCESS EXCLUSIVE', 'ROW EXCLUSIVE']) }), ['db']),
    // db-lock holds for its own `duration` (the step lasts that long) and lets go by itself: no heal step.
    windowed: false,
    busyMs: 4_000,
    holdsMs: 4_000,
    inject: (f, id) => ({ id, fault: 'db-lock', target: f.target, ...grayFields(f.params), duration: '4s' }),
    heal: undefined,
  },
  latency: grayFault('latency', (rng) => ({ latency: `${rng.pick([50, 100, 200, 400])}ms`, jitter: `${rng.pick([0, 25, 50])}ms` }), PROXIED),
  timeout: grayFault('timeout', () => ({}), PROXIED),
  reset: grayFault('reset', () => ({}), PROXIED),
};

export function isExploreFaultKind(name: string): name is ExploreFaultKind {
  return (EXPLORE_FAULT_KINDS as readonly string[]).includes(name);
}

export function faultKind(kind: ExploreFaultKind): FaultKindSpec {
  return FAULT_KINDS[kind];
}

/** The id of the step that injects a fault ("f2-kill-postgres"); its heal step is "h2-postgres". */
export function injectStepId(f: Pick<PlannedFault, 'n' | 'kind' | 'target'>): string {
  return `f${f.n}-${f.kind}-${f.target}`;
}

export function healStepId(f: Pick<PlannedFault, 'n' | 'target'>): string {
  return `h${f.n}-${f.target}`;
}

/** How long a fault keeps its service(s) from taking another one. */
export function busyMs(f: PlannedFault): number {
  return f.forMs ?? faultKind(f.kind).busyMs ?? 0;
}

/** "kill postgres @3.2s for 4.1s (SIGTERM)", "restart api-1 @5.0s". */
export function describeFault(f: PlannedFault): string {
  const params = Object.entries(f.params).filter(([k, v]) => !(k === 'signal' && v === 'SIGKILL'));
  return `${f.kind} ${f.target} @${sec(f.atMs)}${f.forMs !== undefined ? ` for ${sec(f.forMs)}` : ''}${params.length ? ` (${params.map(([, v]) => v).join(', ')})` : ''}`;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
