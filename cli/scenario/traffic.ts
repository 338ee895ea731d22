/**
 * The load generator: purchases and reads through the NGINX gateway with
 * undici, a count or a rate for a duration, bounded concurrency, a
 * per-request timeout; every request lands in the history.
 */
import { Agent, request } from 'undici';
import { classifyError, classifyResponse, type Op, type OpKind } from './history.js';

export interface LoadPlan {
  stepId: string;
  purchases: number;
  reads: number;
  /** Requests per second; with durationMs. Without it: counts, as fast as concurrency allows. */
  rate?: number;
  durationMs?: number;
  concurrency: number;
  eventId: number;
  quantity: number;
  readPath: string;
  timeoutMs: number;
  email: string;
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

export async function runLoad(plan: LoadPlan, ctx: LoadContext): Promise<void> {
  if (plan.rate !== undefined && plan.durationMs !== undefined) return runRate(plan, ctx);
  const kinds = mix(plan.purchases, plan.reads);
  let next = 0;
  const worker = async () => {
    while (next < kinds.length && !ctx.signal?.aborted) {
      const kind = kinds[next++]!;
      await issue(kind, plan, ctx);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, kinds.length)) }, worker));
}

/** Open-ish loop: one request every 1/rate s for the duration, at most `concurrency` in flight. */
async function runRate(plan: LoadPlan, ctx: LoadContext): Promise<void> {
  const total = Math.max(1, Math.round((plan.rate! * plan.durationMs!) / 1000));
  const weights = plan.purchases + plan.reads > 0 ? [plan.purchases, plan.reads] : [1, 0];
  const kinds = mix(Math.round((total * weights[0]!) / (weights[0]! + weights[1]!)), total - Math.round((total * weights[0]!) / (weights[0]! + weights[1]!)));
  const interval = 1000 / plan.rate!;
  const start = ctx.now();
  const deadline = start + plan.durationMs! + plan.timeoutMs;
  const inflight = new Set<Promise<void>>();
  for (let i = 0; i < kinds.length && !ctx.signal?.aborted; i++) {
    const due = start + i * interval;
    const wait = due - ctx.now();
    if (wait > 0) await sleep(wait, ctx.signal);
    while (inflight.size >= plan.concurrency && !ctx.signal?.aborted) await Promise.race(inflight);
    if (ctx.now() > deadline) break;
    const p: Promise<void> = issue(kinds[i]!, plan, ctx).finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
}

async function issue(kind: OpKind, plan: LoadPlan, ctx: LoadContext): Promise<void> {
  const id = ctx.nextOpId();
  const isPurchase = kind === 'purchase';
  const key = isPurchase ? ctx.nextKey() : undefined;
  const path = isPurchase ? '/purchase' : plan.readPath;
  const base: Omit<Op, 'completeMs' | 'latencyMs' | 'outcome' | 'degraded'> = {
    id,
    kind,
    step: plan.stepId,
    method: isPurchase ? 'POST' : 'GET',
    path,
    key,
    eventId: isPurchase ? plan.eventId : undefined,
    quantity: isPurchase ? plan.quantity : undefined,
    invokeMs: ctx.now(),
  };
  const signal = AbortSignal.any([AbortSignal.timeout(plan.timeoutMs), ...(ctx.signal ? [ctx.signal] : [])]);
  try {
    const res = await request(new URL(path, ctx.gateway), {
      method: base.method,
      dispatcher: ctx.agent,
      headers: isPurchase ? { 'content-type': 'application/json', 'idempotency-key': key! } : { accept: 'application/json' },
      body: isPurchase ? JSON.stringify({ eventId: plan.eventId, quantity: plan.quantity, email: plan.email }) : undefined,
      signal,
      headersTimeout: plan.timeoutMs,
      bodyTimeout: plan.timeoutMs,
    });
    const text = await res.body.text();
    const completeMs = ctx.now();
    let body: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
    } catch {
      body = undefined;
    }
    const header = res.headers['x-eventflow-node'];
    const node = Array.isArray(header) ? header[0] : header;
    ctx.record({
      ...base,
      completeMs,
      latencyMs: completeMs - base.invokeMs,
      httpStatus: res.statusCode,
      node,
      ...classifyResponse(kind, res.statusCode, body, node),
    });
  } catch (error) {
    const completeMs = ctx.now();
    ctx.record({ ...base, completeMs, latencyMs: completeMs - base.invokeMs, ...classifyError(error) });
  }
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
