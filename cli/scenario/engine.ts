/**
 * The scenario engine only orders the phases of a run:
 *
 *   steady state → steps → rollback (always) → steady state → drain → check → verify → metrics → dashboards
 *
 * Each phase lives in its own module and tells what happens through the
 * event stream (events.ts); the live console log and the report builder are
 * subscribers. Nothing here formats text for a terminal.
 */
import { randomBytes } from 'node:crypto';
import type { FaultWindow, GrafanaRunInfo, MetricsCaptureInfo, MetricsSeries, ParamValue, ProbeResult, RunReport, WallPhases } from '../../reports/model.js';
import type { StackEndpoints, StackHandle } from '../stack/types.js';
import { exitCodeFor } from '../exit-codes.js';
import { checkFinalState, type EngineHooks } from './check.js';
import { drainBacklog } from './drain.js';
import { createEngineEvents, type EngineListener, type EnginePhase } from './events.js';
import type { SystemState } from './final-state.js';
import type { ScenarioFile } from './format.js';
import { ReportBuilder } from './report-builder.js';
import { rollback } from './rollback.js';
import { createRunContext, type RunContext } from './run-context.js';
import { computeTimings, round } from './stats.js';
import { checkSteadyState } from './steady-state.js';
import { StepFailure } from './step-failure.js';
import { runSteps } from './steps.js';
import { nowMs } from './traffic.js';
import { decideVerdict } from './verdict.js';
import { verifyRun } from './verify.js';

export type { EngineHooks } from './check.js';

/**
 * Records the metrics the report charts from the moment the stack is connected
 * to the metrics phase (cli/scenario/metrics-capture.ts in the CLI).
 */
export interface MetricsCapture {
  start(run: { stack: StackHandle; endpoints: StackEndpoints; startMs: number }): Promise<MetricsRecording>;
}
export interface MetricsRecording {
  stop(endMs: number): Promise<CapturedMetrics | undefined>;
}
export interface CapturedMetrics {
  series: MetricsSeries;
  info: MetricsCaptureInfo;
}

/**
 * Dashboards outside the report that show the run (Grafana, with the official image set;
 * cli/grafana/annotations.ts): a subscriber of the run's events (it posts fault windows as it
 * hears of them) that, when the run ends, says where to look. Best effort: what it could not
 * do comes back as warnings, never as a failed run.
 */
export interface RunDashboards {
  readonly listener: EngineListener;
  finish(run: { startMs: number; endMs: number; windows: readonly FaultWindow[] }): Promise<{ info: GrafanaRunInfo; warnings: string[] }>;
}

export interface RunOptions {
  scenario: ScenarioFile;
  params: Record<string, ParamValue>;
  file: string;
  source: string;
  stack: StackHandle;
  ephemeral?: boolean;
  runId?: string;
  signal?: AbortSignal;
  /** After `signal`: ends rollback's bounded wait until healed services are healthy (a second Ctrl-C). */
  recoverySignal?: AbortSignal;
  /** Subscribers of the run's events (the CLI passes its console log). */
  listeners?: EngineListener[];
  /** Defaults to PostgreSQL + RabbitMQ of the stack. */
  state?: SystemState;
  hooks?: EngineHooks;
  /** Metrics recorded during the run for the report's charts; absent or false = none. */
  captureMetrics?: MetricsCapture | false;
  /** The stack's dashboards (Grafana); absent = the stack has none. */
  dashboards?: RunDashboards;
  /** Poll interval of waits (ms); default DEFAULT_POLL_MS. */
  pollMs?: number;
}

/**
 * How often a wait asks again (a GET /health, an AMQP passive declare, a SELECT, a container inspect): a
 * condition that holds is seen half of this later on average. 100 ms, as the hand-rolled db-outage of
 * `npm run bench scenario` polls (200 ms cost the scenario ~0.1 s against it in the drain alone).
 */
export const DEFAULT_POLL_MS = 100;

export function newRunId(name: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
  return `${stamp}-${name.slice(0, 40)}-${randomBytes(2).toString('hex')}`;
}

export async function runScenario(opts: RunOptions): Promise<RunReport> {
  const runId = opts.runId ?? newRunId(opts.scenario.name);
  const events = createEngineEvents(nowMs);
  const report = new ReportBuilder({ scenario: opts.scenario, params: opts.params, file: opts.file, source: opts.source, ephemeral: opts.ephemeral ?? false, startedAt: new Date().toISOString() });
  for (const listener of [report.listener, ...(opts.listeners ?? []), ...(opts.dashboards ? [opts.dashboards.listener] : [])]) events.subscribe(listener);
  const ctx = createRunContext({ scenario: opts.scenario, stack: opts.stack, runId, events, signal: opts.signal, recoverySignal: opts.recoverySignal, state: opts.state, pollMs: opts.pollMs ?? DEFAULT_POLL_MS });
  events.emit({ type: 'run-started', runId, scenario: opts.scenario.name, startMs: ctx.startMs });
  const phase = async <T>(name: EnginePhase, run: () => Promise<T>): Promise<T> => {
    const start = nowMs();
    events.emit({ type: 'phase-started', phase: name });
    try {
      return await run();
    } finally {
      events.emit({ type: 'phase-finished', phase: name, durationMs: round(nowMs() - start)! });
    }
  };

  let before: ProbeResult[] = [];
  let recording: Promise<MetricsRecording | undefined> = Promise.resolve(undefined);
  try {
    const tSetup = nowMs();
    await connect(ctx);
    recording = startMetrics(ctx, opts.captureMetrics);
    before = await phase('steady-state-before', () => checkSteadyState(ctx, 'before'));
    ctx.wall.setupMs = nowMs() - tSetup;
    if (before.some((p) => !p.ok)) throw new StepFailure('the stack is not in its steady state before the experiment; nothing was injected', true);
    await phase('steps', () => runSteps(ctx));
  } catch (e) {
    const failure = StepFailure.from(e);
    ctx.failure.infra = failure.infra;
    ctx.failure.error = failure.message;
    events.emit({ type: 'run-error', message: failure.message });
  }

  const tRollback = nowMs();
  await phase('rollback', () => rollback(ctx));
  ctx.wall.rollbackMs = nowMs() - tRollback;

  const tChecks = nowMs();
  // Nothing to judge when the run never got going (no stack, interrupted, or failed before any probe or step).
  const judge = ctx.endpoints !== undefined && !ctx.aborted() && !(ctx.failure.infra && !before.length && !ctx.stepCount);
  if (judge && before.every((p) => p.ok)) await phase('steady-state-after', () => checkSteadyState(ctx, 'after'));
  // the services as the run leaves them (state, health: one inspect each), asked while the checker queries
  const servicesAfter = opts.stack.services().catch(() => undefined);
  if (judge) await phase('drain', () => drainBacklog(ctx));
  const checker = judge ? await phase('check', () => checkFinalState(ctx, opts.hooks)) : undefined;
  const timings = computeTimings(ctx.history, ctx.ledger.windows);
  if (ctx.drainMs !== undefined) timings.drainMs = ctx.drainMs;
  await phase('verify', async () => {
    for (const check of verifyRun(opts.scenario, ctx.history, ctx.ledger.windows, timings, checker)) events.emit({ type: 'check-result', check });
  });
  ctx.wall.checksMs = nowMs() - tChecks;

  const metrics = await phase('metrics', () => stopMetrics(ctx, recording));
  const grafana = await finishDashboards(ctx, opts.dashboards);
  await ctx.close();

  const failedChecks = report.checks.filter((c) => !c.passed).length;
  const verdict = decideVerdict({ aborted: ctx.aborted(), infraFailure: ctx.failure.infra, failedChecks });
  const endMs = nowMs();
  ctx.wall.totalMs = endMs - ctx.startMs;
  for (const k of Object.keys(ctx.wall) as (keyof WallPhases)[]) ctx.wall[k] = round(ctx.wall[k])!;
  const failed = report.checks.filter((c) => !c.passed).map((c) => ({ name: c.name, message: c.message }));
  events.emit({ type: 'run-finished', verdict, failedChecks, failed, durationMs: ctx.wall.totalMs });
  const services = await servicesAfter;
  return report.build(ctx, { verdict, exitCode: exitCodeFor(verdict), endMs, timings, metrics: metrics?.series, metricsInfo: metrics?.info, services, grafana });
}

async function connect(ctx: RunContext): Promise<void> {
  try {
    ctx.endpoints = await ctx.stack.endpoints();
  } catch (e) {
    throw new StepFailure(`cannot read the stack's endpoints: ${(e as Error).message}`, true);
  }
  ctx.events.emit({ type: 'stack-connected', runId: ctx.runId, scenario: ctx.scenario.name, stackId: ctx.stack.id, gateway: ctx.endpoints.gateway });
}

/** Optional: a capture that fails to start or to finish is a warning, never a failed run. */
async function startMetrics(ctx: RunContext, capture: MetricsCapture | false | undefined): Promise<MetricsRecording | undefined> {
  if (!capture || !ctx.endpoints) return undefined;
  try {
    return await capture.start({ stack: ctx.stack, endpoints: ctx.endpoints, startMs: ctx.startMs });
  } catch (e) {
    ctx.warn(`metrics capture did not start: ${(e as Error).message}`);
    return undefined;
  }
}

async function stopMetrics(ctx: RunContext, recording: Promise<MetricsRecording | undefined>): Promise<CapturedMetrics | undefined> {
  try {
    return await (await recording)?.stop(nowMs());
  } catch (e) {
    ctx.warn(`metrics capture failed: ${(e as Error).message}`);
    return undefined;
  }
}

async function finishDashboards(ctx: RunContext, dashboards: RunDashboards | undefined): Promise<GrafanaRunInfo | undefined> {
  if (!dashboards) return undefined;
  try {
    const { info, warnings } = await dashboards.finish({ startMs: ctx.startMs, endMs: nowMs(), windows: ctx.ledger.windows });
    for (const w of warnings) ctx.warn(w);
    return info;
  } catch (e) {
    ctx.warn(`dashboard links and annotations: ${(e as Error).message}`);
    return { dashboards: [], annotations: { tags: [], posted: 0, failed: 0 } };
  }
}
