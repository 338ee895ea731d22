/**
 * The report builder: a subscriber of the engine's events (steps, probes,
 * checks, warnings, the checker's result) that assembles the run record
 * (reports/model.ts) when the run ends.
 */
import { hostname } from 'node:os';
import {
  REPORT_SCHEMA_VERSION,
  type Check,
  type CheckerResult,
  type GrafanaRunInfo,
  type MetricsCaptureInfo,
  type MetricsSeries,
  type ParamValue,
  type ProbeResult,
  type ReportService,
  type RunReport,
  type StepRecord,
  type Timings,
  type Verdict,
} from '../../reports/model.js';
import { eventflowVersion } from '../package.js';
import type { EngineEvent, EngineEventType, EventOf } from './events.js';
import type { ScenarioFile } from './format.js';
import { summarize } from './history.js';
import type { RunContext } from './run-context.js';
import { phaseTable, round } from './stats.js';


export interface RunIdentity {
  scenario: ScenarioFile;
  params: Record<string, ParamValue>;
  file: string;
  source: string;
  ephemeral: boolean;
  startedAt: string;
}

export interface RunEnding {
  verdict: Verdict;
  exitCode: number;
  endMs: number;
  timings: Timings;
  metrics?: MetricsSeries;
  metricsInfo?: MetricsCaptureInfo;
  services?: ReportService[];
  grafana?: GrafanaRunInfo;
}

export class ReportBuilder {
  readonly steps: StepRecord[] = [];
  readonly probes: { before: ProbeResult[]; after: ProbeResult[] } = { before: [], after: [] };
  readonly checks: Check[] = [];
  readonly warnings: string[] = [];
  checker?: CheckerResult;
  private readonly seen = new Set<StepRecord>();

  private readonly on: { [T in EngineEventType]?: (e: EventOf<T>) => void } = {
    'step-started': (e) => this.addStep(e.step),
    // A step whose preparation failed (e.g. a random target in an empty group) is only seen finishing.
    'step-finished': (e) => this.addStep(e.step),
    'probe-result': (e) => this.probes[e.when].push(e.result),
    'check-result': (e) => this.checks.push(e.check),
    warning: (e) => this.warnings.push(e.message),
    'checker-result': (e) => (this.checker = e.result),
  };

  constructor(private readonly identity: RunIdentity) {}

  /** The subscriber to hand to the engine's event stream. */
  readonly listener = (event: EngineEvent): void => {
    (this.on[event.type] as ((e: EngineEvent) => void) | undefined)?.(event);
  };

  private addStep(step: StepRecord): void {
    if (this.seen.has(step)) return;
    this.seen.add(step);
    this.steps.push(step);
  }

  build(ctx: RunContext, end: RunEnding): RunReport {
    const { scenario, params, file, source, ephemeral, startedAt } = this.identity;
    const windows = ctx.ledger.windows;
    return {
      schemaVersion: REPORT_SCHEMA_VERSION,
      runId: ctx.runId,
      keyPrefix: ctx.prefix,
      scenario: { name: scenario.name, description: scenario.description, file, source, parameters: params, definition: scenario },
      verdict: end.verdict,
      exitCode: end.exitCode,
      error: end.verdict === 'interrupted' ? (ctx.failure.error ?? 'interrupted') : ctx.failure.error,
      startedAt,
      finishedAt: new Date().toISOString(),
      startMs: round(ctx.startMs)!,
      endMs: round(end.endMs)!,
      durationMs: ctx.wall.totalMs,
      environment: {
        stackId: ctx.stack.id,
        ephemeral,
        gateway: ctx.endpoints?.gateway ?? '',
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        hostname: hostname(),
        eventflowVersion: eventflowVersion(),
        services: end.services,
        ...(end.grafana ? { grafana: end.grafana } : {}),
      },
      steps: this.steps,
      probes: this.probes,
      faultWindows: windows,
      history: { summary: summarize(ctx.history), phases: phaseTable(ctx.history, windows), ops: ctx.history.sort((a, b) => a.invokeMs - b.invokeMs) },
      timings: end.timings,
      checker: this.checker,
      checks: this.checks,
      wall: ctx.wall,
      warnings: this.warnings,
      metrics: end.metrics,
      metricsInfo: end.metricsInfo,
    };
  }
}
