/**
 * A Jepsen-style history: one record per request the load generator made,
 * with its invoke and completion times and what came back. The checker and
 * the reports read only this and the final database state.
 */
import type { HistorySummary, Op, OpKind } from '../../reports/model.js';

export type { HistorySummary, Op, OpKind, Outcome } from '../../reports/model.js';

/** Classify a completed HTTP exchange. */
export function classifyResponse(
  kind: OpKind,
  httpStatus: number,
  body: Record<string, unknown> | undefined,
  /** `x-eventflow-node`: present when an api node answered, absent when the gateway did. */
  node?: string,
): Pick<Op, 'outcome' | 'status' | 'orderId' | 'degraded' | 'source' | 'stale'> {
  const status = typeof body?.status === 'string' ? body.status : typeof body?.error === 'string' ? body.error : undefined;
  const orderId = typeof body?.orderId === 'string' ? body.orderId : undefined;
  if (kind === 'purchase') {
    if (httpStatus === 201) return { outcome: 'ok', status, orderId, degraded: false };
    if (httpStatus === 202) return { outcome: 'ok', status, orderId, degraded: true };
    // A gateway error or a server crash: the request may have been applied.
    if (httpStatus === 500 || httpStatus === 502 || httpStatus === 504) return { outcome: 'unknown', status, degraded: true };
    // A 5xx the gateway produced itself (no api node signed it): an api node may
    // have applied the purchase before the gateway gave up on it.
    if (httpStatus >= 500 && !node) return { outcome: 'unknown', status, degraded: true };
    return { outcome: 'fail', status, degraded: true };
  }
  const source = typeof body?.source === 'string' ? body.source : undefined;
  const stale = typeof body?.stale === 'boolean' ? body.stale : undefined;
  if (httpStatus >= 200 && httpStatus < 300) return { outcome: 'ok', status, degraded: stale === true, source, stale };
  return { outcome: httpStatus >= 500 && httpStatus !== 503 ? 'unknown' : 'fail', status, degraded: true, source, stale };
}

/** Network-level errors: was the request possibly delivered? */
export function classifyError(error: unknown): Pick<Op, 'outcome' | 'error' | 'degraded'> {
  // String codes only (ECONNRESET, UND_ERR_…): a DOMException's numeric legacy code (23 for a timeout) says nothing.
  const own = (error as { code?: unknown })?.code;
  const cause = (error as { cause?: { code?: unknown } })?.cause?.code;
  const code = typeof own === 'string' ? own : typeof cause === 'string' ? cause : undefined;
  const text = `${code ?? (error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? String(error)}`;
  // Refused before anything was sent: definitely not applied.
  const definite = code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN';
  return { outcome: definite ? 'fail' : 'unknown', error: text, degraded: true };
}

export function summarize(history: readonly Op[]): HistorySummary {
  const s: HistorySummary = { total: history.length, purchases: 0, reads: 0, byOutcome: { ok: 0, fail: 0, unknown: 0 }, byStatus: {}, byNode: {}, acknowledged: 0 };
  for (const op of history) {
    if (op.kind === 'purchase') s.purchases++;
    else s.reads++;
    s.byOutcome[op.outcome]++;
    const st = `${op.kind} ${op.httpStatus ?? 'no-response'}${op.status ? ` ${op.status}` : ''}`;
    s.byStatus[st] = (s.byStatus[st] ?? 0) + 1;
    if (op.node) s.byNode[op.node] = (s.byNode[op.node] ?? 0) + 1;
    if (isAcknowledged(op)) s.acknowledged++;
  }
  return s;
}

/** An acknowledged purchase: the system promised it (201 or 202). */
export function isAcknowledged(op: Op): boolean {
  return op.kind === 'purchase' && op.outcome === 'ok' && (op.httpStatus === 201 || op.httpStatus === 202);
}
