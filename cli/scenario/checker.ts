/**
 * The checker: pure functions from (history, final database state) to
 * findings. Reading the state is separate (final-state.ts) so the rules can be
 * tested on synthetic histories. Each invariant is an entry of INVARIANT_RULES:
 * adding one is adding an entry (and its place in the report's checker section).
 */
import type { CheckerResult } from '../../reports/model.js';
import { INVARIANTS, type Invariant } from './format.js';
import { isAcknowledged, type Op } from './history.js';

export type { CheckerResult } from '../../reports/model.js';

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

/** The history and the final state, indexed once for every rule. */
export interface RunFacts {
  purchases: Op[];
  acknowledged: Op[];
  rows: OrderRow[];
  rowsByKey: Map<string, OrderRow[]>;
  rowsById: Map<string, OrderRow[]>;
  events: EventRow[];
}

/** Where each invariant's findings live in the report's checker section. */
const FIELD = {
  lost: 'lost',
  duplicated: 'duplicated',
  oversold: 'oversold',
  unexpected: 'unexpected',
  'failed-but-persisted': 'failedButPersisted',
} as const satisfies Record<Invariant, keyof CheckerResult>;

export type Findings<I extends Invariant> = CheckerResult[(typeof FIELD)[I]];

export interface InvariantRule<I extends Invariant> {
  /** What holds when nothing is found, e.g. "no acknowledged purchase is lost". */
  text: string;
  find(facts: RunFacts): Findings<I>;
  /** The keys, order ids or events that break it (for the check's message). */
  evidence(found: Findings<I>): string[];
}

export const INVARIANT_RULES: { [I in Invariant]: InvariantRule<I> } = {
  lost: {
    text: 'no acknowledged purchase is lost',
    find({ acknowledged, rowsByKey }) {
      const keys: string[] = [];
      const orderIdMismatch: string[] = [];
      for (const op of acknowledged) {
        const found = rowsByKey.get(op.key!);
        if (!found || found.length === 0) keys.push(op.key!);
        // The client holds an order id that does not exist: what it was promised is lost.
        else if (op.orderId && !found.some((r) => r.id === op.orderId)) orderIdMismatch.push(op.key!);
      }
      return { count: keys.length + orderIdMismatch.length, keys, orderIdMismatch };
    },
    evidence: (f) => [...f.keys, ...f.orderIdMismatch.map((k) => `${k} (order id differs)`)],
  },
  duplicated: {
    text: 'no purchase is persisted twice',
    find({ acknowledged, rowsByKey, rowsById }) {
      const keys = [...rowsByKey].filter(([, rs]) => rs.length > 1).map(([k]) => k);
      const orderIds = [...rowsById].filter(([, rs]) => rs.length > 1).map(([id]) => id);
      // Two different requests acknowledged with the same order id: one order stands for two purchases.
      const ackIds = groupBy(acknowledged.filter((o) => o.orderId), (o) => o.orderId!);
      for (const [id, ops] of ackIds) if (new Set(ops.map((o) => o.key)).size > 1 && !orderIds.includes(id)) orderIds.push(id);
      return { count: keys.length + orderIds.length, keys, orderIds };
    },
    evidence: (f) => [...f.keys, ...f.orderIds],
  },
  oversold: {
    text: 'no event is oversold',
    find({ events }) {
      const oversold = events.filter((e) => e.remaining < 0 || e.confirmedQuantity > e.capacity);
      return { count: oversold.length, events: oversold.map((e) => ({ ...e })) };
    },
    evidence: (f) => f.events.map((e) => `event ${e.id}: remaining ${e.remaining}, confirmed ${e.confirmedQuantity}/${e.capacity}`),
  },
  unexpected: {
    text: 'no persisted order that nobody attempted',
    find({ purchases, rows }) {
      const attempted = new Set(purchases.map((o) => o.key!));
      const keys = rows.filter((r) => !attempted.has(r.idempotencyKey)).map((r) => r.idempotencyKey);
      return { count: keys.length, keys };
    },
    evidence: (f) => f.keys,
  },
  'failed-but-persisted': {
    text: 'no refused purchase was persisted',
    find({ purchases, rowsByKey }) {
      const keys = purchases.filter((o) => o.outcome === 'fail' && rowsByKey.has(o.key!)).map((o) => o.key!);
      return { count: keys.length, keys };
    },
    evidence: (f) => f.keys,
  },
};

/** The findings of one invariant inside a checker result. */
export function findingsOf<I extends Invariant>(c: CheckerResult, invariant: I): Findings<I> {
  return c[FIELD[invariant]] as Findings<I>;
}

export function checkHistory(history: readonly Op[], state: FinalState, prefix: string): CheckerResult {
  const purchases = history.filter((o) => o.kind === 'purchase' && o.key !== undefined);
  const rows = state.orders.filter((r) => r.idempotencyKey.startsWith(prefix));
  const facts: RunFacts = {
    purchases,
    acknowledged: purchases.filter(isAcknowledged),
    rows,
    rowsByKey: groupBy(rows, (r) => r.idempotencyKey),
    rowsById: groupBy(rows, (r) => r.id),
    events: state.events,
  };
  const findings = Object.fromEntries(INVARIANTS.map((i) => [FIELD[i], INVARIANT_RULES[i].find(facts)])) as Pick<CheckerResult, (typeof FIELD)[Invariant]>;
  const unknownOps = purchases.filter((o) => o.outcome === 'unknown');
  const recoveredKeys = unknownOps.filter((o) => facts.rowsByKey.has(o.key!)).map((o) => o.key!);
  const notRecoveredKeys = unknownOps.filter((o) => !facts.rowsByKey.has(o.key!)).map((o) => o.key!);
  // Acknowledged, then REJECTED by the notifier (sold out meanwhile): honest, not lost.
  const rejectedAfterAck = facts.acknowledged.filter((op) => {
    const found = facts.rowsByKey.get(op.key!);
    return found !== undefined && found.length > 0 && found.every((r) => r.status === 'REJECTED');
  }).length;

  return {
    prefix,
    attempted: purchases.length,
    acknowledged: facts.acknowledged.length,
    persisted: facts.rowsByKey.size,
    ...findings,
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
