/**
 * The scenario file format, version 1 (documented in scenarios/README.md).
 *
 * One zod schema is the source of truth: the validator checks files with it
 * and scenarios/schema.json is generated from it (`makeScenarioSchema({forJsonSchema: true})`,
 * see cli/scenario/schema-gen.ts). The JSON-Schema flavour additionally accepts
 * `${param}` references wherever a number or boolean is expected, because editors see
 * the file before interpolation; the validator sees it after.
 */
import { z } from 'zod';

import { TABLE_LOCK_MODES } from '../stack/types.js';

export const FORMAT_VERSION = 1;

export const FAULT_ACTIONS = ['kill', 'stop', 'start', 'restart', 'pause', 'unpause', 'disconnect', 'reconnect'] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];
/** Gray faults: a service degraded, not dead (parameters per kind in cli/scenario/gray-fault-steps.ts). */
export const GRAY_FAULT_ACTIONS = ['loss', 'partition', 'bandwidth', 'throttle', 'db-lock', 'latency', 'timeout', 'reset'] as const;
export type GrayFaultAction = (typeof GRAY_FAULT_ACTIONS)[number];
/** Actions that break a service (open a fault window) and the ones that heal it. */
export const BREAKING: ReadonlySet<FaultAction> = new Set(['kill', 'stop', 'pause', 'disconnect']);
export const HEALING: ReadonlySet<FaultAction> = new Set(['start', 'unpause', 'reconnect', 'restart']);

export const STEP_KINDS = ['fault', 'load', 'wait', 'await-load', 'sleep', 'heal'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const WAIT_CONDITIONS = ['service-healthy', 'backlog-drained', 'orders-persisted', 'gateway-healthy', 'cluster-ok'] as const;
export const INVARIANTS = ['lost', 'duplicated', 'oversold', 'conservation', 'unexpected', 'failed-but-persisted'] as const;
export type Invariant = (typeof INVARIANTS)[number];
export const PHASES = ['before', 'during', 'after', 'all'] as const;
export type Phase = (typeof PHASES)[number];
export const PURCHASE_STATUSES = ['CONFIRMED', 'ACCEPTED_ASYNC', 'UNAVAILABLE', 'SOLD_OUT', 'VALIDATION', 'EVENT_NOT_FOUND', 'OUTCOME_UNKNOWN'] as const;
export const PARAM_TYPES = ['integer', 'number', 'string', 'boolean', 'duration'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
export const PARAM_NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** A whole-value reference: `${name}`. */
export const PARAM_REF_RE = /^\$\{([A-Za-z_][A-Za-z0-9_-]*)\}$/;

export interface SchemaOptions {
  /** Accept `${param}` where numbers/booleans go (for the published JSON Schema). */
  forJsonSchema?: boolean;
}

export function makeScenarioSchema(options: SchemaOptions = {}) {
  const ref = z.string().regex(PARAM_REF_RE).describe('a parameter reference, e.g. ${purchases}');
  // Typed as the plain schema: the `${param}` variant exists only in the published JSON Schema.
  const withRef = <T extends z.ZodType>(schema: T): T => (options.forJsonSchema ? (z.union([schema, ref]) as unknown as T) : schema);
  const int = (min = 0) => withRef(z.number().int().min(min));
  const bool = () => withRef(z.boolean());
  const fraction = () => withRef(z.number().min(0).max(1));
  const duration = () =>
    withRef(
      z.union([
        z.number().nonnegative().describe('milliseconds'),
        z.string().regex(DURATION_RE, 'a duration like 500ms, 10s or 2m'),
      ]),
    );

  const groupName = z.enum(['db', 'cache', 'broker', 'proxy', 'api', 'worker', 'analytics', 'balancer', 'monitoring']);
  const target = z
    .union([
      z.string().min(1).describe('a service name (postgres, api-1…) or a group (api = every api node)'),
      z.strictObject({ random: z.string().min(1).describe('a group or list; one member is chosen at random') }),
      z.strictObject({ service: z.string().min(1) }),
      z.strictObject({ group: groupName }),
      z.array(z.string().min(1)).min(1).describe('several services or groups'),
    ])
    .describe('what the fault acts on');

  const common = {
    id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." or "-"').optional().describe('a step name, referenced by verifications and await-load'),
    description: z.string().optional(),
  };

  const faultStep = z.strictObject({
    ...common,
    fault: z.enum([...FAULT_ACTIONS, ...GRAY_FAULT_ACTIONS]),
    target,
    signal: z.string().regex(/^SIG[A-Z0-9]+$/).optional().describe('for kill: e.g. SIGKILL (default), SIGTERM'),
    // gray-fault parameters (which kind takes which: scenarios/README.md, checked by the validator)
    percent: withRef(z.number()).optional().describe('loss: percentage of packets dropped, in (0, 100]'),
    peer: z.string().min(1).optional().describe('loss: only the packets exchanged with this service'),
    peers: z.array(z.string().min(1)).min(1).optional().describe('partition: the services or groups the target is cut off from'),
    oneWay: bool().optional().describe('partition: drop only what the target sends (default both ways)'),
    rate: z.string().optional().describe('bandwidth: egress cap in tc syntax, e.g. 512kbit, 1mbit'),
    cpus: withRef(z.number()).optional().describe('throttle: CPU quota, e.g. 0.1'),
    table: z.string().optional().describe('db-lock: the table locked, e.g. events'),
    mode: z.enum(TABLE_LOCK_MODES).optional().describe('db-lock: the lock mode (default ACCESS EXCLUSIVE)'),
    latency: duration().optional().describe('latency: delay added to every chunk'),
    jitter: duration().optional().describe('latency: ± random variation'),
    stream: z.enum(['upstream', 'downstream']).optional().describe('latency, reset: to the dependency (upstream) or from it (downstream, default)'),
    after: duration().optional().describe('timeout: connections closed after this long (default held open); reset: reset after this long'),
    duration: duration().optional().describe('gray faults: hold the fault this long, then heal it (the step lasts that long); db-lock: required'),
  });
  const healStep = z.strictObject({ ...common, heal: z.string().min(1).describe('id of an earlier gray-fault step to undo') });

  const loadSpec = z
    .strictObject({
      purchases: int(0).optional().describe('number of purchases (a count), or with rate: purchases per second'),
      reads: int(0).optional().describe('number of reads'),
      rate: withRef(z.number().positive()).optional().describe('requests per second; with duration instead of a count'),
      duration: duration().optional(),
      concurrency: int(1).optional(),
      background: bool().optional().describe('keep running across later steps until an await-load step or the end'),
      eventId: int(1).optional(),
      quantity: int(1).optional(),
      path: z.string().startsWith('/').optional().describe('read path, default /events'),
      timeout: duration().optional().describe('per-request client timeout (default 5s); shorter than the server\'s → outcome unknown'),
      email: z.string().optional().describe('buyer e-mail; each purchase sends it tagged with its request name (local+<run>-<n>@domain)'),
      keyless: fraction().optional().describe('fraction 0..1 of purchases sent without an Idempotency-Key'),
      duplicate: fraction().optional().describe('fraction 0..1 of keyed purchases sent twice at once with the same key'),
      retry: z
        .strictObject({
          attempts: int(1).describe('attempts in all, the first included'),
          backoff: duration().optional().describe('wait before the first retry, doubled each time (default 100ms)'),
          sameKey: bool().optional().describe('retry with the same Idempotency-Key (default true) or a new one'),
        })
        .optional()
        .describe('retry on a network error, a timeout or a 5xx'),
    })
    .describe('purchases and/or reads through the gateway');
  const loadStep = z.strictObject({ ...common, load: loadSpec });

  const waitSpec = z.strictObject({
    until: z.enum(WAIT_CONDITIONS),
    target: target.optional().describe('for service-healthy'),
    count: int(0).optional().describe('for orders-persisted: how many of this run\'s orders (default: every acknowledged one)'),
    timeout: duration().optional().describe('default 30s'),
  });
  const waitStep = z.strictObject({ ...common, wait: waitSpec });
  const awaitLoadStep = z.strictObject({ ...common, 'await-load': z.string().min(1).describe('id of a background load step') });
  const sleepStep = z.strictObject({ ...common, sleep: duration() });

  const step = z.union([faultStep, loadStep, waitStep, awaitLoadStep, sleepStep, healStep]);

  const probe = z.union([
    z.strictObject({
      name: z.string().optional(),
      probe: z.literal('http'),
      path: z.string().startsWith('/'),
      status: int(100).optional().describe('expected HTTP status, default 200'),
      json: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional().describe('expected top-level fields'),
      timeout: duration().optional(),
    }),
    z.strictObject({
      name: z.string().optional(),
      probe: z.literal('healthy'),
      targets: z.array(target).min(1),
      timeout: duration().optional().describe('how long to wait for health (default 30s)'),
    }),
    z.strictObject({
      name: z.string().optional(),
      probe: z.literal('cluster-ok').describe('GET /health through the gateway says status ok: every api node up, its dependencies answering, its breaker closed'),
      timeout: duration().optional().describe('how long to wait for it (default 30s)'),
    }),
  ]);

  const parameter = z.strictObject({
    type: z.enum(PARAM_TYPES),
    default: z.union([z.number(), z.string(), z.boolean()]),
    description: z.string().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
  });

  const expectation = z.strictObject({
    step: z.string().min(1),
    status: z.array(z.enum(PURCHASE_STATUSES)).min(1).optional().describe('allowed `status`/`error` fields of the responses'),
    http: z.array(int(100)).min(1).optional().describe('allowed HTTP statuses'),
    outcome: z.array(z.enum(['ok', 'fail', 'unknown'])).min(1).optional(),
  });

  const threshold = z.strictObject({
    metric: z.enum(['error-rate', 'latency', 'time-to-detect', 'time-to-recover', 'drain-time', 'unknown-rate']),
    phase: z.enum(PHASES).optional().describe('before / during (a fault window) / after; default all'),
    kind: z.enum(['purchase', 'read', 'any']).optional(),
    percentile: withRef(z.number().min(0).max(100)).optional().describe('for latency: 50, 95, 99…'),
    max: z.union([withRef(z.number().nonnegative()), z.string().regex(DURATION_RE)]).describe('a ratio 0..1 for rates, a duration for times'),
  });

  return z.strictObject({
    version: z.literal(FORMAT_VERSION),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and "-"'),
    description: z.string().optional(),
    parameters: z.record(z.string().regex(PARAM_NAME_RE), parameter).optional(),
    'steady-state': z.array(probe).optional().describe('probes that must hold before and after the experiment'),
    steps: z.array(step).min(1),
    verify: z
      .strictObject({
        invariants: z.array(z.enum(INVARIANTS)).optional().describe('default: all'),
        expect: z.array(expectation).optional(),
        thresholds: z.array(threshold).optional(),
      })
      .optional(),
    rollback: z.array(faultStep).optional().describe('fault steps that always run at the end; faulted services are healed anyway'),
  });
}

export const ScenarioSchema = makeScenarioSchema();
/** A scenario after interpolation and validation (durations still raw). */
export type ScenarioFile = z.infer<typeof ScenarioSchema>;
export type StepDef = ScenarioFile['steps'][number];
export type FaultStepDef = Extract<StepDef, { fault: unknown }>;
export type LoadStepDef = Extract<StepDef, { load: unknown }>;
export type WaitStepDef = Extract<StepDef, { wait: unknown }>;
export type HealStepDef = Extract<StepDef, { heal: unknown }>;
export type ProbeDef = NonNullable<ScenarioFile['steady-state']>[number];
export type ThresholdDef = NonNullable<NonNullable<ScenarioFile['verify']>['thresholds']>[number];
export type ExpectationDef = NonNullable<NonNullable<ScenarioFile['verify']>['expect']>[number];
export type TargetDef = FaultStepDef['target'];
export type ParameterDef = NonNullable<ScenarioFile['parameters']>[string];

/** Step-kind-specific schemas, used by the validator for precise messages. */
export function stepKindOf(value: unknown): StepKind | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return STEP_KINDS.find((k) => k in (value as Record<string, unknown>));
}

export function parseDuration(value: number | string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  if (typeof value === 'number') return value;
  const m = DURATION_RE.exec(value);
  if (!m) throw new Error(`bad duration "${value}"`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}
