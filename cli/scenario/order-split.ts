/**
 * The run's persisted orders by final status, one per idempotency key: what the
 * summary lines report as confirmed / rejected after acknowledgement / pending.
 * Kept apart from the checker's invariants: it judges nothing.
 */
import type { OrderSplit } from '../../reports/model.js';
import type { OrderRow } from './checker.js';

export function orderSplit(rows: readonly OrderRow[], prefix: string): OrderSplit {
  const byKey = new Map<string, string[]>();
  for (const r of rows) if (r.idempotencyKey.startsWith(prefix)) byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), r.status]);
  const split: OrderSplit = { confirmed: 0, rejected: 0, pending: 0 };
  for (const statuses of byKey.values()) {
    if (statuses.includes('CONFIRMED')) split.confirmed++;
    else if (statuses.every((s) => s === 'REJECTED')) split.rejected++;
    else split.pending++;
  }
  return split;
}
