/**
 * The checker: pure functions from (history, final database state) to
 * verdicts. Reading the state is separate (state.ts) so the rules can be
 * tested on synthetic histories.
 */
import { isAcknowledged, type Op } from './history.js';

export interface OrderRow {
  id: string;
  idempotencyKey: string;
  eventId: number;
  quantity: number;
  status: string;
  path?: string;
}

export interface EventRow {
  id: number;
  capacity: number;
  remaining: number;
  /** Sum of quantities of CONFIRMED orders for this event (all runs). */
  confirmedQuantity: number;
}

export interface FinalState {
  /** Orders whose idempotency key starts with this run's prefix. */
  orders: OrderRow[];
  events: EventRow[];
}

export interface CheckerResult {
  prefix: string;
  attempted: number;
  acknowledged: number;
  persisted: number;
  lost: { count: number; keys: string[]; orderIdMismatch: string[] };
  duplicated: { count: number; keys: string[]; orderIds: string[] };
  oversold: { count: number; events: { id: number; capacity: number; remaining: number; confirmedQuantity: number }[] };
  unexpected: { count: number; keys: string[] };
  /** Definite failures (4xx, 503, refused) that were persisted anyway. */
  failedButPersisted: { count: number; keys: string[] };
  unknown: { count: number; recovered: number; notRecovered: number; recoveredKeys: string[]; notRecoveredKeys: string[] };
  /** Acknowledged, then REJECTED by the notifier (e.g. sold out meanwhile): honest, not lost. */
  rejectedAfterAck: number;
}

export function checkHistory(history: readonly Op[], state: FinalState, prefix: string): CheckerResult {
  const purchases = history.filter((o) => o.kind === 'purchase' && o.key !== undefined);
  const rows = state.orders.filter((r) => r.idempotencyKey.startsWith(prefix));
  const rowsByKey = groupBy(rows, (r) => r.idempotencyKey);
  const rowsById = groupBy(rows, (r) => r.id);
  const attemptedKeys = new Set(purchases.map((o) => o.key!));

  const lostKeys: string[] = [];
  const mismatch: string[] = [];
  let rejectedAfterAck = 0;
  const acked = purchases.filter(isAcknowledged);
  for (const op of acked) {
    const found = rowsByKey.get(op.key!);
    if (!found || found.length === 0) {
      lostKeys.push(op.key!);
      continue;
    }
    if (op.orderId && !found.some((r) => r.id === op.orderId)) mismatch.push(op.key!);
    if (found.every((r) => r.status === 'REJECTED')) rejectedAfterAck++;
  }

  const dupKeys = [...rowsByKey].filter(([, rs]) => rs.length > 1).map(([k]) => k);
  const dupIds = [...rowsById].filter(([, rs]) => rs.length > 1).map(([id]) => id);
  // Two different requests acknowledged with the same order id: one order stands for two purchases.
  const ackIds = groupBy(acked.filter((o) => o.orderId), (o) => o.orderId!);
  for (const [id, ops] of ackIds) if (new Set(ops.map((o) => o.key)).size > 1 && !dupIds.includes(id)) dupIds.push(id);

  const oversold = state.events.filter((e) => e.remaining < 0 || e.confirmedQuantity > e.capacity);
  const unexpected = rows.filter((r) => !attemptedKeys.has(r.idempotencyKey)).map((r) => r.idempotencyKey);
  const failedButPersisted = purchases.filter((o) => o.outcome === 'fail' && rowsByKey.has(o.key!)).map((o) => o.key!);
  const unknownOps = purchases.filter((o) => o.outcome === 'unknown');
  const recoveredKeys = unknownOps.filter((o) => rowsByKey.has(o.key!)).map((o) => o.key!);
  const notRecoveredKeys = unknownOps.filter((o) => !rowsByKey.has(o.key!)).map((o) => o.key!);

  return {
    prefix,
    attempted: purchases.length,
    acknowledged: acked.length,
    persisted: rowsByKey.size,
    lost: { count: lostKeys.length + mismatch.length, keys: lostKeys, orderIdMismatch: mismatch },
    duplicated: { count: dupKeys.length + dupIds.length, keys: dupKeys, orderIds: dupIds },
    oversold: { count: oversold.length, events: oversold.map((e) => ({ ...e })) },
    unexpected: { count: unexpected.length, keys: unexpected },
    failedButPersisted: { count: failedButPersisted.length, keys: failedButPersisted },
    unknown: { count: unknownOps.length, recovered: recoveredKeys.length, notRecovered: notRecoveredKeys.length, recoveredKeys, notRecoveredKeys },
    rejectedAfterAck,
  };
}

function groupBy<T, K>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}
