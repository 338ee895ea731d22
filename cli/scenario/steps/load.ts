/** `load:` steps: the traffic generator, in the foreground or in the background (awaited by `await-load` or at the end of the steps). */
import type { Op } from '../../../reports/model.js';
import { parseDuration, type LoadStepDef } from '../format.js';
import type { RunContext } from '../run-context.js';
import { percentile, round } from '../stats.js';
import type { StepKindModule } from '../steps.js';
import { nowMs, runLoad, type LoadPlan } from '../traffic.js';

function loadPlan(id: string, l: LoadStepDef['load']): LoadPlan {
  return {
    stepId: id,
    purchases: l.purchases ?? 0,
    reads: l.reads ?? 0,
    rate: l.rate,
    durationMs: l.duration === undefined ? undefined : parseDuration(l.duration, 0),
    concurrency: l.concurrency ?? 4,
    eventId: l.eventId ?? 1,
    quantity: l.quantity ?? 1,
    readPath: l.path ?? '/events',
    timeoutMs: parseDuration(l.timeout, 5_000),
    email: l.email ?? 'scenario@eventflow.test',
  };
}

/** "12 requests: 10× 201 CONFIRMED, 2× 202 ACCEPTED_ASYNC; p99 35 ms" (a step record's detail). */
export function loadSummary(history: readonly Op[], stepId: string): string {
  const ops = history.filter((o) => o.step === stepId);
  const by = new Map<string, number>();
  for (const o of ops) {
    const k = o.httpStatus ? `${o.httpStatus}${o.status ? ` ${o.status}` : ''}` : o.outcome;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  const p99 = percentile(ops.map((o) => o.latencyMs).sort((a, b) => a - b), 99);
  return `${ops.length} requests: ${[...by].map(([k, n]) => `${n}× ${k}`).join(', ')}${p99 !== undefined ? `; p99 ${Math.round(p99)} ms` : ''}`;
}

function planLabel(plan: LoadPlan, background: boolean): string {
  const plural = (n: number, word: string) => (n ? `${n} ${word}${n > 1 ? 's' : ''}` : '');
  const parts = [plural(plan.purchases, 'purchase'), plural(plan.reads, 'read')].filter(Boolean).join(' + ');
  const shape = plan.rate ? `${plan.rate}/s for ${plan.durationMs} ms (${parts || 'purchases'} mix)` : parts;
  return `${shape}, concurrency ${plan.concurrency}${background ? ', background' : ''}`;
}

function startLoad(ctx: RunContext, plan: LoadPlan): Promise<void> {
  return runLoad(plan, {
    gateway: ctx.gateway(),
    agent: ctx.traffic.agent,
    nextOpId: ctx.traffic.nextOpId,
    nextKey: ctx.traffic.nextKey,
    record: (op) => ctx.history.push(op),
    signal: ctx.traffic.abort.signal,
    now: nowMs,
  });
}

export const loadStep: StepKindModule<LoadStepDef> = {
  recordKind: () => 'load',
  prepare(ctx, def, rec) {
    const plan = loadPlan(rec.id, def.load);
    return {
      label: planLabel(plan, def.load.background === true),
      bucket: 'purchasesMs',
      async run() {
        if (def.load.background) {
          const done = startLoad(ctx, plan).then(() => {
            rec.endMs = nowMs();
            rec.durationMs = round(rec.endMs - rec.startMs);
            rec.detail = loadSummary(ctx.history, rec.id);
            ctx.events.emit({ type: 'background-load-finished', step: rec });
          });
          ctx.traffic.background.set(rec.id, done);
          rec.status = 'ok';
          rec.detail = 'started in the background';
          return;
        }
        await startLoad(ctx, plan);
        rec.detail = loadSummary(ctx.history, rec.id);
      },
    };
  },
};
