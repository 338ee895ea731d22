/**
 * The steps phase and the step runner it shares with rollback. A step kind is
 * a module in steps/ and an entry of STEP_KINDS: `prepare` resolves what the
 * step will do (its record's label, services, wall-time bucket), `run` does it.
 */
import type { StepRecord } from '../../reports/model.js';
import { stepKindOf, type StepDef, type StepKind } from './format.js';
import type { RunContext, WallBucket } from './run-context.js';
import { round } from './stats.js';
import { StepFailure } from './step-failure.js';
import { awaitLoadStep } from './steps/await-load.js';
import { faultStep, preflightGrayFaults } from './steps/fault.js';
import { healStep } from './steps/heal.js';
import { loadStep } from './steps/load.js';
import { sleepStep } from './steps/sleep.js';
import { waitStep } from './steps/wait.js';
import { nowMs } from './traffic.js';

export type Section = StepRecord['section'];

export interface PreparedStep {
  label: string;
  services?: string[];
  bucket: WallBucket;
  /** Fills in the record's status/detail; throws a StepFailure to stop the run. */
  run(): Promise<void>;
}

export interface StepKindModule<D extends StepDef> {
  recordKind(section: Section): StepRecord['kind'];
  prepare(ctx: RunContext, def: D, rec: StepRecord): PreparedStep;
}

const STEP_KINDS: { [K in StepKind]: StepKindModule<Extract<StepDef, Record<K, unknown>>> } = {
  fault: faultStep,
  load: loadStep,
  wait: waitStep,
  'await-load': awaitLoadStep,
  sleep: sleepStep,
  heal: healStep,
};

export async function runStep(ctx: RunContext, def: StepDef, index: number, section: Section): Promise<void> {
  const id = def.id ?? `${section === 'rollback' ? 'rollback' : 'step'}-${index + 1}`;
  const rec: StepRecord = { index, id, kind: 'sleep', label: '', section, startMs: nowMs(), status: 'running' };
  ctx.stepCount++;
  let bucket: WallBucket = 'other';
  try {
    const mod = STEP_KINDS[stepKindOf(def)!] as StepKindModule<StepDef>;
    rec.kind = mod.recordKind(section);
    const step = mod.prepare(ctx, def, rec);
    Object.assign(rec, { label: step.label }, step.services ? { services: step.services } : {});
    bucket = step.bucket;
    ctx.events.emit({ type: 'step-started', step: rec });
    await step.run();
    if (rec.status === 'running') rec.status = 'ok';
  } catch (e) {
    rec.status = 'failed';
    rec.error = (e as Error).message;
    throw StepFailure.from(e);
  } finally {
    // A background load finishes later (steps/load.ts closes its record).
    if (rec.endMs === undefined && !(rec.kind === 'load' && ctx.traffic.background.has(id))) {
      rec.endMs = nowMs();
      rec.durationMs = round(rec.endMs - rec.startMs);
      if (bucket !== 'other') ctx.wall[bucket] += rec.endMs - rec.startMs;
      ctx.events.emit({ type: 'step-finished', step: rec });
    }
  }
}

/** The steps phase: in order, until one fails or the run is interrupted; then every background load is awaited. */
export async function runSteps(ctx: RunContext): Promise<void> {
  const all = ctx.scenario.steps;
  await preflightGrayFaults(ctx);
  for (let i = 0; i < all.length; i++) {
    if (ctx.aborted()) break;
    await runStep(ctx, all[i]!, i, 'steps');
  }
  for (const [id, p] of ctx.traffic.background) {
    ctx.events.emit({ type: 'background-load-waiting', stepId: id });
    await p;
  }
  ctx.traffic.background.clear();
}
