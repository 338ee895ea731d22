/**
 * The load generator: purchases and reads through the NGINX gateway with
 * undici. A count as fast as `concurrency` allows, or a constant arrival rate
 * for a duration (k6's constant-arrival-rate): an arrival that finds every
 * connection busy is missed (counted, never sent late), and latency counts
 * from the intended send time, so a slow system cannot slow the clock that
 * measures it (no coordinated omission). What each request sends is client.ts.
 */
import { Agent } from 'undici';
import type { LoadResult } from '../../reports/model.js';
import { createClient, type ClientBehaviour } from './client.js';
import type { Op, OpKind } from './history.js';
import { createLatencyHistogram } from './latency-histogram.js';

export interface LoadPlan {
  stepId: string;
  purchases: number;
  reads: number;
  /** Client requests per second; with durationMs. Without it: counts, as fast as concurrency allows. */
  rate?: number;
  durationMs?: number;
  concurrency: number;
  eventId: number;
  quantity: number;
  readPath: string;
  timeoutMs: number;
  email: string;
  client: ClientBehaviour;
}

export interface LoadContext {
  gateway: string;
  agent: Agent;
  nextOpId(): number;
  /** A unique idempotency key for this run: `<runId>-<n>`. */
  nextKey(): string;
  record(op: Op): void;
  signal?: AbortSignal;
  now(): number;
}

export const nowMs = (): number => performance.timeOrigin + performance.now();

export function createAgent(connections = 64): Agent {
  return new Agent({ connections, keepAliveTimeout: 2_000, keepAliveMaxTimeout: 5_000, connect: { timeout: 2_000 } });
}

/** The kinds to issue, interleaved in proportion (p purchases, r reads). */
export function mix(purchases: number, reads: number): OpKind[] {
  const out: OpKind[] = [];
  const total = purchases + reads;
  let p = 0;
  for (let i = 0; i < total; i++) {
    // Bresenham-style spreading of purchases among reads.
    const wantP = Math.round(((i + 1) * purchases) / total);
    if (wantP > p) {
      out.push('purchase');
      p++;
    } else out.push('read');
  }
  return out;
}

/** Runs the plan; every attempt lands in the history through ctx.record. */
export async function runLoad(plan: LoadPlan, ctx: LoadContext): Promise<LoadResult> {
  const histogram = createLatencyHistogram();
  let attempts = 0;
  const counted: LoadContext = {
    ...ctx,
    gateway: ctx.gateway.replace(/\/+$/, ''),
    record(op: Op) {
      attempts++;
      histogram.record(op.latencyMs);
      ctx.record(op);
    },
  };
  const client = createClient(plan, counted);
  const start = ctx.now();
  const sched = plan.rate !== undefined && plan.durationMs !== undefined ? await runRate(plan, ctx, client.send) : await runCount(plan, ctx, client.send);
  const end = ctx.now();
  const plannedEnd = plan.durationMs !== undefined && plan.rate !== undefined ? start + plan.durationMs : undefined;
  const seconds = Math.max(1, end - start) / 1000;
  return {
    ...sched,
    attempts,
    achievedRps: Math.round((attempts / seconds) * 10) / 10,
    ...(plan.rate !== undefined ? { rate: plan.rate } : {}),
    ...(plannedEnd !== undefined ? { overrunMs: Math.max(0, Math.round(end - plannedEnd)) } : {}),
    latency: histogram.summary(),
  };
}

type Send = (kind: OpKind, intendedMs?: number) => Promise<void>;
type Schedule = Pick<LoadResult, 'planned' | 'started' | 'missed' | 'sendLag'>;

/** Closed loop: `concurrency` workers take the next request as soon as their last one completed. */
async function runCount(plan: LoadPlan, ctx: LoadContext, send: Send): Promise<Schedule> {
  const kinds = mix(plan.purchases, plan.reads);
  let next = 0;
  const worker = async () => {
    while (next < kinds.length && !ctx.signal?.aborted) await send(kinds[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, kinds.length)) }, worker));
  return { planned: kinds.length, started: next, missed: 0 };
}

/** How late a send may leave (p99) before a rate step counts as behind its schedule; also the slack after its planned end. */
export const SCHEDULE_SLACK_MS = 100;

/**
 * Open loop: arrival i is due at start + i/rate, whatever the answers. A due
 * arrival waits for a free connection (that wait counts in its latency); one
 * that could not start within its timeout of its planned time, or before the
 * schedule's end, is missed.
 */
async function runRate(plan: LoadPlan, ctx: LoadContext, send: Send): Promise<Schedule> {
  const total = Math.max(1, Math.round((plan.rate! * plan.durationMs!) / 1000));
  const purchases = plan.purchases + plan.reads > 0 ? Math.round((total * plan.purchases) / (plan.purchases + plan.reads)) : total;
  const kinds = mix(purchases, total - purchases);
  const interval = 1000 / plan.rate!;
  const lag = createLatencyHistogram();
  const start = ctx.now();
  // Nothing starts after the schedule (and a little slack): a step that fell behind ends on time, its rest missed.
  const scheduleEnd = start + plan.durationMs! + SCHEDULE_SLACK_MS;
  // A counter, not a set of promises: nothing allocated per arrival beyond the send itself.
  let inflight = 0;
  // Resolved when a connection comes free (one waiter: the loop below, or the final wait for the last answers).
  let freed: (() => void) | undefined;
  const slotFreed = () => new Promise<void>((resolve) => (freed = resolve));
  const onDone = () => {
    inflight--;
    const wake = freed;
    freed = undefined;
    wake?.();
  };
  // A send never rejects (an attempt's error is its op); if one does, that is a bug: raised once the rest have finished.
  let bug: unknown;
  const onBug = (error: unknown) => {
    bug ??= error;
    onDone();
  };
  let i = 0;
  let missed = 0;
  while (i < kinds.length && !ctx.signal?.aborted) {
    const due = start + i * interval;
    const now = ctx.now();
    if (now < due) await sleep(due - now, ctx.signal);
    else if (inflight >= plan.concurrency) await slotFreed();
    else if (now - due > plan.timeoutMs || now > scheduleEnd) {
      missed++;
      i++;
    } else {
      lag.record(now - due);
      inflight++;
      send(kinds[i++]!, due).then(onDone, onBug);
    }
  }
  while (inflight > 0) await slotFreed();
  if (bug !== undefined) throw bug;
  const { p99, max } = lag.summary();
  return { planned: kinds.length, started: i - missed, missed, sendLag: { p99, max } };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
