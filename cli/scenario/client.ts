/**
 * One client request, sent the way real clients send them: with or without an
 * Idempotency-Key, sometimes twice at once with the same key (a double submit),
 * retried on an error, a timeout or a 5xx — with the same key or a new one.
 * Every HTTP attempt becomes one Op of the history, linked to its request.
 */
import { classifyError, classifyResponse, type Op, type OpKind } from './history.js';
import type { LoadContext, LoadPlan } from './traffic.js';
import { sleep } from './traffic.js';
import { createExchanger, type Exchanger } from './exchange.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (1 = never retry). */
  attempts: number;
  /** Wait before the first retry; doubled before each next one. */
  backoffMs: number;
  /** Retry with the request's key (true) or with a new key each time (false). Keyless requests stay keyless. */
  sameKey: boolean;
}

export interface ClientBehaviour {
  /** Fraction 0..1 of purchases sent without an Idempotency-Key. */
  keyless: number;
  /** Fraction 0..1 of keyed purchases sent twice at once with the same key. */
  duplicate: number;
  retry?: RetryPolicy;
}

/** What one HTTP attempt sends. */
interface AttemptSpec {
  kind: OpKind;
  request: number;
  attempt: number;
  key?: string;
  email?: string;
  twin?: boolean;
  intendedMs?: number;
}

/** Whether the i-th item (0-based) of a stream is picked when a fraction f is wanted: evenly spread, reproducible. */
export function picked(i: number, fraction: number): boolean {
  return Math.floor((i + 1) * fraction) > Math.floor(i * fraction);
}

/** `scenario@eventflow.test` + `run-7` → `scenario+run-7@eventflow.test` (a subaddress: still the buyer's mailbox). */
export function taggedEmail(email: string, tag: string): string {
  const at = email.lastIndexOf('@');
  const local = at > 0 ? email.slice(0, at) : email || 'scenario';
  const domain = at > 0 ? email.slice(at + 1) : 'eventflow.test';
  return `${local}+${tag}@${domain}`;
}

/** Worth retrying: the request may not have been served (an error, a timeout, a 5xx). */
export function shouldRetry(op: Op): boolean {
  return op.httpStatus === undefined || op.httpStatus >= 500;
}

/** The client of one load step: numbers its purchases to spread keyless and double-submitted ones evenly. */
export function createClient(plan: LoadPlan, ctx: LoadContext) {
  let purchaseNo = 0;
  let keyedNo = 0;
  const behaviour = plan.client;
  const exchanger = createExchanger(ctx.agent, plan.timeoutMs, ctx.now, ctx.signal);

  /** Attempts (1, 2, …) of one chain of sends, retrying as the policy says. */
  async function chain(spec: AttemptSpec, keyless: boolean, firstId: number): Promise<void> {
    const retry = behaviour.retry;
    const max = retry?.attempts ?? 1;
    let current = spec;
    let id = firstId;
    for (let attempt = 1; ; attempt++) {
      const op = await sendAttempt(id, current, plan, ctx, exchanger);
      if (attempt >= max || !shouldRetry(op) || ctx.signal?.aborted) return;
      await sleep(retry!.backoffMs * 2 ** (attempt - 1), ctx.signal);
      if (ctx.signal?.aborted) return;
      id = ctx.nextOpId();
      const key = keyless || current.key === undefined ? undefined : retry!.sameKey ? current.key : ctx.nextKey();
      current = { ...current, attempt: attempt + 1, key, intendedMs: undefined };
    }
  }

  return {
    /** One client request of this kind; resolves when its last attempt completed. */
    async send(kind: OpKind, intendedMs?: number): Promise<void> {
      const id = ctx.nextOpId();
      if (kind === 'read') return chain({ kind, request: id, attempt: 1, intendedMs }, true, id);
      // The request's name: its first key, and the tag of its buyer e-mail (attributes rows even without a key).
      const name = ctx.nextKey();
      const keyless = picked(purchaseNo++, behaviour.keyless);
      const spec: AttemptSpec = { kind, request: id, attempt: 1, key: keyless ? undefined : name, email: taggedEmail(plan.email, name), intendedMs };
      const twin = !keyless && picked(keyedNo++, behaviour.duplicate);
      if (!twin) return chain(spec, keyless, id);
      await Promise.all([chain(spec, false, id), chain({ ...spec, twin: true }, false, ctx.nextOpId())]);
    },
  };
}

/** One HTTP exchange → one Op in the history. */
async function sendAttempt(id: number, spec: AttemptSpec, plan: LoadPlan, ctx: LoadContext, exchanger: Exchanger): Promise<Op> {
  const isPurchase = spec.kind === 'purchase';
  const path = isPurchase ? '/purchase' : plan.readPath;
  const method = isPurchase ? 'POST' : 'GET';
  const invokeMs = ctx.now();
  // Latency from the intended send time: a late send is the generator's delay, and the client waited for it too.
  const since = spec.intendedMs ?? invokeMs;
  const headers: Record<string, string> = isPurchase ? { 'content-type': 'application/json' } : { accept: 'application/json' };
  if (spec.key !== undefined) headers['idempotency-key'] = spec.key;
  let op: Op;
  try {
    const res = await exchanger.send({
      origin: ctx.gateway,
      path,
      method,
      headers,
      body: isPurchase ? JSON.stringify({ eventId: plan.eventId, quantity: plan.quantity, email: spec.email ?? plan.email }) : undefined,
    });
    const completeMs = ctx.now();
    const body = parseObject(res.text);
    op = opOf(id, spec, plan, method, path, invokeMs, completeMs, completeMs - since, classifyResponse(spec.kind, res.status, body, res.node));
    op.httpStatus = res.status;
    // why it was refused: a failed expectation names it (a 503 alone does not say which dependency was missing)
    if (res.status >= 400 && typeof body?.message === 'string') op.message = body.message.slice(0, MESSAGE_MAX);
    if (res.node !== undefined) op.node = res.node;
  } catch (error) {
    const completeMs = ctx.now();
    op = opOf(id, spec, plan, method, path, invokeMs, completeMs, completeMs - since, classifyError(error));
  }
  ctx.record(op);
  return op;
}

/** how much of a refusal's `message` a history record keeps */
const MESSAGE_MAX = 240;

/** The history record of one attempt: optional fields only when they say something (no spread per field). */
function opOf(
  id: number,
  spec: AttemptSpec,
  plan: LoadPlan,
  method: Op['method'],
  path: string,
  invokeMs: number,
  completeMs: number,
  latencyMs: number,
  outcome: Pick<Op, 'outcome' | 'degraded' | 'status' | 'orderId' | 'source' | 'stale' | 'error'>,
): Op {
  const isPurchase = spec.kind === 'purchase';
  const op: Op = { id, kind: spec.kind, step: plan.stepId, method, path, key: spec.key, eventId: isPurchase ? plan.eventId : undefined, quantity: isPurchase ? plan.quantity : undefined, invokeMs, completeMs, latencyMs, ...outcome };
  if (spec.request !== id) op.request = spec.request;
  if (spec.attempt > 1) op.attempt = spec.attempt;
  if (spec.twin) op.twin = true;
  if (isPurchase && spec.key === undefined) op.keyless = true;
  if (spec.email) op.email = spec.email;
  if (spec.intendedMs !== undefined) op.intendedMs = spec.intendedMs;
  return op;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
