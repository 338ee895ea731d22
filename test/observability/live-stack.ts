/**
 * The live stack the observability itests run against: stack id
 * `obs-itest` (EVENTFLOW_OBS_STACK), image set from EVENTFLOW_IMAGES.
 * A stack this test started is removed afterwards unless EVENTFLOW_KEEP_STACK=1;
 * a stack that was already up is left alone.
 */
import { startStack, stopStack } from '../../cli/stack/stack.js';
import { resolveImageSet } from '../../cli/stack/images.js';
import type { StackEndpoints, StackHandle } from '../../cli/stack/types.js';
import { sleep, until as pollUntil } from '../support/wait.js';

export const OBS_STACK_ID = process.env.EVENTFLOW_OBS_STACK ?? 'obs-itest';

export { sleep };

export async function acquireStack(): Promise<{ stack: StackHandle; endpoints: StackEndpoints; startedHere: boolean }> {
  const stack = await startStack({
    stackId: OBS_STACK_ID,
    imageSet: resolveImageSet(),
    onProgress: (e) => {
      if (e.phase === 'healthy' || e.phase === 'info' || e.phase === 'failed') console.log(`[stack ${OBS_STACK_ID}] ${e.service}: ${e.phase}${e.detail ? ` ${e.detail}` : ''}`);
    },
  });
  const endpoints = await stack.endpoints();
  return { stack, endpoints, startedHere: !stack.alreadyUp };
}

export async function releaseStack(startedHere: boolean): Promise<void> {
  if (!startedHere || process.env.EVENTFLOW_KEEP_STACK === '1') return;
  await stopStack(OBS_STACK_ID);
}

/** support/wait's `until`, polling once a second by default: these checks query Prometheus. */
export function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 1000): Promise<T> {
  return pollUntil(what, check, timeoutMs, everyMs);
}

/** Instant query → vector result. */
export async function promQuery(prometheus: string, expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
  const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await res.json()) as { status: string; error?: string; data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
  return body.data.result;
}

let keyCounter = 0;
/** One purchase through the gateway; returns the HTTP status (0 = no answer). */
export async function purchase(gateway: string, eventId = 1, quantity = 1): Promise<{ status: number; body?: { orderId?: string; status?: string } }> {
  const key = `obs-${process.pid}-${Date.now()}-${keyCounter++}`;
  try {
    const res = await fetch(`${gateway}/purchase`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ eventId, quantity, email: 'observer@example.com' }),
      signal: AbortSignal.timeout(15_000),
    });
    const body = (await res.json().catch(() => undefined)) as { orderId?: string; status?: string } | undefined;
    return { status: res.status, body };
  } catch {
    return { status: 0 };
  }
}

export async function read(gateway: string, path = '/events'): Promise<number> {
  try {
    const res = await fetch(`${gateway}${path}`, { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/**
 * Bounded load: `ratePerSec` purchases (plus as many reads) per second for
 * `durationMs`, sequential batches; returns the status counts.
 */
export async function drive(gateway: string, durationMs: number, ratePerSec = 4): Promise<Record<number, number>> {
  const counts: Record<number, number> = {};
  const end = Date.now() + durationMs;
  const maxBatches = Math.ceil(durationMs / 1000) + 1;
  for (let i = 0; i < maxBatches && Date.now() < end; i++) {
    const t = Date.now();
    const results = await Promise.all([
      ...Array.from({ length: ratePerSec }, () => purchase(gateway)),
      ...Array.from({ length: ratePerSec }, () => read(gateway, i % 2 ? '/events' : '/events/1').then((status) => ({ status, read: true }))),
    ]);
    for (const r of results) if (!('read' in r)) counts[r.status] = (counts[r.status] ?? 0) + 1;
    await sleep(Math.max(0, 1000 - (Date.now() - t)));
  }
  return counts;
}
