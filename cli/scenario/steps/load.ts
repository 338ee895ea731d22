/** `load:` steps: the traffic generator, in the foreground or in the background (awaited by `await-load` or at the end of the steps). */
import type { LoadResult, Op, StepRecord } from '../../../reports/model.js';
import { parseDuration, type LoadStepDef } from '../format.js';
import type { RunContext } from '../run-context.js';
import { round } from '../stats.js';
import type { StepKindModule } from '../steps.js';
import { nowMs, runLoad, SCHEDULE_SLACK_MS, type LoadPlan } from '../traffic.js';

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
    client: {
      keyless: l.keyless ?? 0,
      duplicate: l.duplicate ?? 0,
      retry: l.retry && { attempts: l.retry.attempts, backoffMs: parseDuration(l.retry.backoff, 100), sameKey: l.retry.sameKey ?? true },
    },
  };
}

/** "12 requests: 10× 201 CONFIRMED, 2× 202 ACCEPTED_ASYNC; p99 35 ms; 3000/s planned, 2990 sent, 10 missed" (a step record's detail). */
export function loadSummary(history: readonly Op[], stepId: string, result?: LoadResult): string {
  const ops = history.filter((o) => o.step === stepId);
  const by = new Map<string, number>();
  for (const o of ops) {
    const k = o.httpStatus ? `${o.httpStatus}${o.status ? ` ${o.status}` : ''}` : o.outcome;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  const retries = ops.filter((o) => (o.attempt ?? 1) > 1).length;
  const parts = [`${ops.length} requests: ${[...by].map(([k, n]) => `${n}× ${k}`).join(', ')}`];
  if (retries) parts.push(`${retries} of them retries`);
  if (result && ops.length) parts.push(`p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  if (result?.rate !== undefined) parts.push(`${result.achievedRps}/s of ${result.rate}/s planned`);
  const behind = behindSchedule(result);
  if (behind) parts.push(behind);
  return parts.join('; ');
}

/** How far a rate step fell behind its schedule, or undefined when it kept it. */
export function behindSchedule(result: LoadResult | undefined): string | undefined {
  if (!result || result.rate === undefined) return undefined;
  const said: string[] = [];
  if (result.missed > 0) said.push(`${result.missed} of ${result.planned} arrivals missed (no connection free in time)`);
  if (result.sendLag && result.sendLag.p99 > SCHEDULE_SLACK_MS) said.push(`sends left up to ${Math.round(result.sendLag.max)} ms late (p99 ${Math.round(result.sendLag.p99)} ms)`);
  return said.length ? `BEHIND SCHEDULE: ${said.join(', ')}` : undefined;
}

function planLabel(plan: LoadPlan, background: boolean): string {
  const plural = (n: number, word: string) => (n ? `${n} ${word}${n > 1 ? 's' : ''}` : '');
  const parts = [plural(plan.purchases, 'purchase'), plural(plan.reads, 'read')].filter(Boolean).join(' + ');
  const shape = plan.rate ? `${plan.rate}/s for ${plan.durationMs} ms (${parts || 'purchases'} mix)` : parts;
  const { keyless, duplicate, retry } = plan.client;
  const client = [
    keyless ? `${Math.round(keyless * 100)}% keyless` : '',
    duplicate ? `${Math.round(duplicate * 100)}% double-submitted` : '',
    retry && retry.attempts > 1 ? `up to ${retry.attempts} attempts (${retry.sameKey ? 'same key' : 'new key'})` : '',
  ].filter(Boolean);
  return `${shape}, concurrency ${plan.concurrency}${client.length ? `, ${client.join(', ')}` : ''}${background ? ', background' : ''}`;
}

/** Runs the load and closes the step's record with what it did against its schedule. */
async function runAndRecord(ctx: RunContext, plan: LoadPlan, rec: StepRecord): Promise<LoadResult> {
  const result = await runLoad(plan, {
    gateway: ctx.gateway(),
    agent: ctx.traffic.agent,
    nextOpId: ctx.traffic.nextOpId,
    nextKey: ctx.traffic.nextKey,
    record: (op) => ctx.history.push(op),
    signal: ctx.traffic.abort.signal,
    now: nowMs,
  });
  rec.load = result;
  rec.detail = loadSummary(ctx.history, rec.id, result);
  const behind = behindSchedule(result);
  if (behind) ctx.warn(`load step ${rec.id}: ${behind}; achieved ${result.achievedRps}/s of ${result.rate}/s`);
  return result;
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
          const done = runAndRecord(ctx, plan, rec).then((result) => {
            rec.endMs = nowMs();
            rec.durationMs = round(rec.endMs - rec.startMs);
            ctx.events.emit({ type: 'background-load-finished', step: rec });
            return result;
          });
          ctx.traffic.background.set(rec.id, done);
          rec.status = 'ok';
          rec.detail = 'started in the background';
          return;
        }
        await runAndRecord(ctx, plan, rec);
      },
    };
  },
};
