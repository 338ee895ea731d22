/**
 * The run record: everything report.json holds; junit.xml and index.html are
 * views of it. The report owns these types: the toolkit (cli/) fills them in,
 * nothing here depends on cli/.
 */

export const REPORT_SCHEMA_VERSION = 1;

export type Verdict = 'pass' | 'fail' | 'error' | 'interrupted';

/** A scenario parameter's value after interpolation. */
export type ParamValue = number | string | boolean;

// ------------------------------------------------------------ the history (Jepsen style)

export type Outcome = 'ok' | 'fail' | 'unknown';
export type OpKind = 'purchase' | 'read';

/** One request the traffic generator made, with its invoke and completion times and what came back. */
export interface Op {
  /** Sequential within a run. */
  id: number;
  kind: OpKind;
  /** The id of the load step that issued it. */
  step: string;
  method: 'GET' | 'POST';
  path: string;
  /** Purchases: the Idempotency-Key sent (`<runId>-<n>`). */
  key?: string;
  eventId?: number;
  quantity?: number;
  /** Epoch milliseconds (fractional). */
  invokeMs: number;
  completeMs: number;
  latencyMs: number;
  /** ok: a definite success; fail: a definite failure (nothing happened); unknown: it may or may not have happened. */
  outcome: Outcome;
  httpStatus?: number;
  /** The response's `status` field (CONFIRMED, ACCEPTED_ASYNC) or its `error` field (UNAVAILABLE, SOLD_OUT…). */
  status?: string;
  /** `x-eventflow-node` of the answer. */
  node?: string;
  orderId?: string;
  /** Reads: where the answer came from and whether it is stale. */
  source?: string;
  stale?: boolean;
  /** Answered by a degraded path (202, 503, stale read, error…) rather than the normal one. */
  degraded: boolean;
  /** Network error / timeout text. */
  error?: string;
  /** A refused or failed answer's `message` field (what the system said was wrong), at most 240 characters. */
  message?: string;
  /** The client request this attempt belongs to (the op id of its first attempt); absent = its own. */
  request?: number;
  /** Which attempt of its client request (1 = the first send; retries count up); absent = 1. */
  attempt?: number;
  /** Sent at the same time as the request's first attempt with the same key (a double submit). */
  twin?: boolean;
  /** Sent without an Idempotency-Key (`key` is then absent): the buyer e-mail tag attributes its rows. */
  keyless?: boolean;
  /** Purchases: the buyer e-mail sent, tagged per client request (`local+<request name>@domain`). */
  email?: string;
  /** Arrival-rate loads: when the schedule meant to send it (epoch ms); latencyMs counts from here. */
  intendedMs?: number;
}

export interface HistorySummary {
  total: number;
  purchases: number;
  reads: number;
  byOutcome: Record<Outcome, number>;
  byStatus: Record<string, number>;
  byNode: Record<string, number>;
  acknowledged: number;
}

// ------------------------------------------------------------ faults, phases, timings

export interface FaultWindow {
  service: string;
  action: string;
  /** When the breaking action completed. */
  startMs: number;
  /** When the healing action completed; undefined = never healed during the steps (rollback did). */
  endMs?: number;
  healedBy?: string;
}

export type PhaseName = 'before' | 'during' | 'after';
export type KindFilter = OpKind | 'any';
export type PhaseFilter = PhaseName | 'all';

export interface PhaseStats {
  count: number;
  ok: number;
  fail: number;
  unknown: number;
  degraded: number;
  /** (fail + unknown) / count; 0 when empty. */
  errorRate: number;
  unknownRate: number;
  latency: { p50?: number; p90?: number; p95?: number; p99?: number; max?: number; mean?: number };
}

export type PhaseTable = Record<PhaseFilter, Record<KindFilter, PhaseStats>>;

export interface Timings {
  /** Fault start → first answer from a degraded path (request invoked after the fault). */
  timeToDetectMs?: number;
  /** Heal → first normal answer (request invoked after the heal). */
  timeToRecoverMs?: number;
  /** Heal → backlog drained (set by the engine from its wait step). */
  drainMs?: number;
  perWindow: { service: string; action: string; detectMs?: number; recoverMs?: number }[];
}

// ------------------------------------------------------------ the checker's findings

export interface CheckerResult {
  prefix: string;
  attempted: number;
  acknowledged: number;
  persisted: number;
  lost: { count: number; keys: string[]; orderIdMismatch: string[] };
  duplicated: { count: number; keys: string[]; orderIds: string[] };
  oversold: { count: number; events: { id: number; capacity: number; remaining: number; confirmedQuantity: number }[] };
  /** Events whose stock taken (capacity − remaining) is not the tickets of their CONFIRMED orders */
  conservation: { count: number; events: { id: number; capacity: number; remaining: number; confirmedQuantity: number }[] };
  unexpected: { count: number; keys: string[] };
  /** Definite failures (4xx, 503, refused) that were persisted anyway. */
  failedButPersisted: { count: number; keys: string[] };
  unknown: { count: number; recovered: number; notRecovered: number; recoveredKeys: string[]; notRecoveredKeys: string[] };
  /** Acknowledged, then REJECTED by the notifier (e.g. sold out meanwhile): honest, not lost. */
  rejectedAfterAck: number;
  /** The run's orders by final status, one per idempotency key (absent in reports written before it existed). */
  orders?: OrderSplit;
  /**
   * Extra orders the client's own retries asked for: a request retried with a new key or without one
   * after an attempt whose outcome was unknown, persisted once per attempt that may have applied.
   * Reported, not a duplicate (see scenarios/README.md, "Clients that retry"). Absent in older reports.
   */
  retryOrders?: { count: number; requests: string[] };
}

/** Persisted orders of a run by final status: CONFIRMED, REJECTED (after the purchase was acknowledged), anything else still PENDING. */
export interface OrderSplit {
  confirmed: number;
  rejected: number;
  pending: number;
}

// ------------------------------------------------------------ steps, probes, checks

export interface StepRecord {
  index: number;
  id: string;
  kind: 'fault' | 'load' | 'wait' | 'await-load' | 'sleep' | 'rollback' | 'heal';
  /** Human summary, e.g. "kill postgres", "5 purchases, concurrency 5". */
  label: string;
  section: 'steps' | 'rollback';
  startMs: number;
  endMs?: number;
  durationMs?: number;
  status: 'ok' | 'failed' | 'skipped' | 'running';
  detail?: string;
  error?: string;
  /** Services a fault acted on (random targets resolved). */
  services?: string[];
  /** Load steps: what the traffic generator did against its schedule. */
  load?: LoadResult;
}

/** A load step against its schedule (k6's iterations / dropped_iterations). */
export interface LoadResult {
  /** Client requests the schedule asked for. */
  planned: number;
  /** Client requests started (retries and double submits are extra attempts of these). */
  started: number;
  /** Arrivals not sent: no connection came free within the request timeout of their planned time or before the schedule's end (k6: dropped iterations). */
  missed: number;
  /** Rate steps: how late sends left after their planned time (waiting for a connection or for the generator), ms. */
  sendLag?: { p99: number; max: number };
  /** HTTP attempts made, retries included. */
  attempts: number;
  /** Attempts per second, from the step's start until its last answer. */
  achievedRps: number;
  /** Rate steps: planned requests per second. */
  rate?: number;
  /** How long after its planned end the step's last request finished (rate steps). */
  overrunMs?: number;
  /** Latency of the attempts (HDR histogram, ms; rate steps: from the intended send time). */
  latency: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

export interface ProbeResult {
  name: string;
  kind: string;
  ok: boolean;
  detail: string;
  atMs: number;
  durationMs: number;
}

export type CheckCategory = 'steady-state' | 'invariant' | 'expectation' | 'threshold' | 'step';

export interface Check {
  id: string;
  name: string;
  category: CheckCategory;
  passed: boolean;
  /** Measured value (count, ratio, ms). */
  value?: number | string;
  limit?: number | string;
  message: string;
}

/** Time series captured during the run, by chart key; points are [unix ms, value]. */
export type MetricsSeries = Record<string, { labels: Record<string, string>; points: [number, number][] }[]>;

/** How a chart's values read: the axis label a report shows. */
export type MetricUnit = 'count' | 'per_second' | 'ratio' | 'seconds' | 'up';

export interface MetricsChart {
  key: string;
  title: string;
  unit: MetricUnit;
}

/** Where the series came from and how densely, and what each chart shows. */
export interface MetricsCaptureInfo {
  /** `service endpoints` (each service's /metrics, sampled during the run) or `prometheus` (query_range after it). */
  source: 'service-endpoints' | 'prometheus';
  /** Time between two samples. */
  intervalMs: number;
  charts: MetricsChart[];
}

export interface GrafanaDashboardLink {
  uid: string;
  title: string;
  /** Through the gateway (`<gateway>/grafana/d/<uid>/<slug>?from=…&to=…`), at the run's time range plus a margin. */
  url: string;
}

/** Where the run is on the stack's Grafana dashboards, and its fault windows posted there as annotations. */
export interface GrafanaRunInfo {
  /** Empty when the run never reached the stack's gateway. */
  dashboards: GrafanaDashboardLink[];
  /** Organization annotations (no dashboard uid) that every dashboard shows by their first tag. */
  annotations: { tags: string[]; posted: number; failed: number };
}

export interface WallPhases {
  setupMs: number;
  faultMs: number;
  purchasesMs: number;
  recoveryMs: number;
  drainMs: number;
  checksMs: number;
  rollbackMs: number;
  totalMs: number;
}

/** A service of the stack as the report shows it. */
export interface ReportService {
  name: string;
  group: string;
  state: 'running' | 'paused' | 'exited' | 'missing';
  healthy: boolean;
}

/** The scenario file as validated (the report keeps it verbatim; its shape is the scenario format's). */
export type ScenarioDefinition = { readonly name: string; readonly description?: string } & Readonly<Record<string, unknown>>;

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  runId: string;
  /** Idempotency keys of this run start with it. */
  keyPrefix: string;
  scenario: { name: string; description?: string; file: string; source: string; parameters: Record<string, ParamValue>; definition: ScenarioDefinition };
  verdict: Verdict;
  exitCode: number;
  error?: string;
  startedAt: string;
  finishedAt: string;
  startMs: number;
  endMs: number;
  durationMs: number;
  environment: {
    stackId: string;
    ephemeral: boolean;
    gateway: string;
    node: string;
    platform: string;
    hostname: string;
    eventflowVersion: string;
    services?: ReportService[];
    /** The stack's Grafana (official image set only); absent when the stack has none. */
    grafana?: GrafanaRunInfo;
  };
  steps: StepRecord[];
  probes: { before: ProbeResult[]; after: ProbeResult[] };
  faultWindows: FaultWindow[];
  history: { summary: HistorySummary; phases: PhaseTable; ops: Op[] };
  timings: Timings;
  checker?: CheckerResult;
  checks: Check[];
  wall: WallPhases;
  warnings: string[];
  metrics?: MetricsSeries;
  metricsInfo?: MetricsCaptureInfo;
}
