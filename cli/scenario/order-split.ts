/**
 * The run's persisted orders by final status, one per idempotency key: what the
 * summary lines report as confirmed / rejected after acknowledgement / pending.
 * Kept apart from the checker's invariants: it judges nothing.
 */
import type { OrderSplit } from '../../reports/model.js';
import { emailTag, type OrderRow } from './checker.js';

export function orderSplit(rows: readonly OrderRow[], prefix: string): OrderSplit {
  const byKey = new Map<string, string[]>();
  // the run's rows: its keys, or (keyless purchases, keyed by the gateway or the node) its e-mail tags
  const ofRun = (r: OrderRow) => r.idempotencyKey.startsWith(prefix) || (r.email !== undefined && emailTag(r.email)?.startsWith(prefix) === true);
  for (const r of rows) if (ofRun(r)) byKey.set(r.idempotencyKey, [...(byKey.get(r.idempotencyKey) ?? []), r.status]);
  const split: OrderSplit = { confirmed: 0, rejected: 0, pending: 0 };
  for (const statuses of byKey.values()) {
    if (statuses.includes('CONFIRMED')) split.confirmed++;
    else if (statuses.every((s) => s === 'REJECTED')) split.rejected++;
    else split.pending++;
  }
  return split;
}
