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
  /** buyer_email: a purchase sent without a key is attributed by its tag. */
  email?: string;
}

export interface EventRow {
  id: number;
  capacity: number;
  remaining: number;
  /** Sum of quantities of CONFIRMED orders for this event (all runs). */
  confirmedQuantity: number;
}

export interface FinalState {
  /** Orders whose idempotency key starts with this run's prefix, or whose buyer e-mail carries its tag. */
  orders: OrderRow[];
  events: EventRow[];
}

/** One client request: its attempts (retries, a double submit) and the rows attributed to it. */
export interface ClientRequest {
  /** Its name: the e-mail tag or, in histories without tags, the first key. */
  name: string;
  attempts: Op[];
  /** Rows of its keyed attempts, by key, plus the rows its keyless attempts left (by e-mail tag). */
  keyedRows: OrderRow[];
  keylessRows: OrderRow[];
}

/** The history and the final state, indexed once for every rule. */
export interface RunFacts {
  purchases: Op[];
  acknowledged: Op[];
  rows: OrderRow[];
  rowsByKey: Map<string, OrderRow[]>;
  rowsById: Map<string, OrderRow[]>;
  /** Rows without a key of the run (sent keyless), by buyer e-mail. */
  keylessRowsByEmail: Map<string, OrderRow[]>;
  requests: ClientRequest[];
  events: EventRow[];
}

/** Where each invariant's findings live in the report's checker section. */
const FIELD = {
  lost: 'lost',
  duplicated: 'duplicated',
  oversold: 'oversold',
  conservation: 'conservation',
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

/** The rows an attempt may have left: by its key, or (keyless) by its request's e-mail tag. */
function rowsOf(op: Op, facts: Pick<RunFacts, 'rowsByKey' | 'keylessRowsByEmail'>): OrderRow[] {
  if (op.key !== undefined) return facts.rowsByKey.get(op.key) ?? [];
  return op.email === undefined ? [] : (facts.keylessRowsByEmail.get(op.email) ?? []);
}

/** How an attempt is named in findings: its key, or `keyless <e-mail>`. */
const nameOf = (op: Op): string => op.key ?? `keyless ${op.email ?? `op ${op.id}`}`;

/**
 * A keyless request's rows beyond what its attempts may have applied: each
 * attempt not definitely refused may have made one order, no more. (With keys,
 * the same bound is one row per key.)
 */
function keylessVerdict(r: ClientRequest): { excess: number; refusedButPersisted: boolean } {
  const keyless = r.attempts.filter((o) => o.keyless);
  if (keyless.length === 0 || r.keylessRows.length === 0) return { excess: 0, refusedButPersisted: false };
  const mayHaveApplied = keyless.filter((o) => o.outcome !== 'fail').length;
  if (mayHaveApplied === 0) return { excess: 0, refusedButPersisted: true };
  return { excess: Math.max(0, r.keylessRows.length - mayHaveApplied), refusedButPersisted: false };
}

export const INVARIANT_RULES: { [I in Invariant]: InvariantRule<I> } = {
  lost: {
    text: 'no acknowledged purchase is lost',
    find(facts) {
      const keys: string[] = [];
      const orderIdMismatch: string[] = [];
      for (const op of facts.acknowledged) {
        const found = rowsOf(op, facts);
        if (found.length === 0) keys.push(nameOf(op));
        // The client holds an order id that does not exist: what it was promised is lost.
        else if (op.orderId && !found.some((r) => r.id === op.orderId)) orderIdMismatch.push(nameOf(op));
      }
      return { count: keys.length + orderIdMismatch.length, keys, orderIdMismatch };
    },
    evidence: (f) => [...f.keys, ...f.orderIdMismatch.map((k) => `${k} (order id differs)`)],
  },
  duplicated: {
    text: 'no purchase is persisted twice',
    find({ acknowledged, rowsByKey, rowsById, requests }) {
      const keys = [...rowsByKey].filter(([, rs]) => rs.length > 1).map(([k]) => k);
      // One keyless HTTP request persisted twice (e.g. retried by the gateway on another node): a duplicate.
      for (const r of requests) {
        const { excess } = keylessVerdict(r);
        if (excess > 0) keys.push(`keyless ${r.name}: ${r.keylessRows.length} orders for ${r.attempts.filter((o) => o.keyless && o.outcome !== 'fail').length} attempt(s)`);
      }
      const orderIds = [...rowsById].filter(([, rs]) => rs.length > 1).map(([id]) => id);
      // Two different purchases acknowledged with the same order id: one order stands for two purchases.
      const ackIds = groupBy(acknowledged.filter((o) => o.orderId), (o) => o.orderId!);
      for (const [id, ops] of ackIds) if (new Set(ops.map((o) => o.key ?? o.email)).size > 1 && !orderIds.includes(id)) orderIds.push(id);
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
  conservation: {
    text: 'every ticket taken from stock belongs to a CONFIRMED order (capacity − remaining = confirmed tickets)',
    // Over all orders of the event, not only this run's: stock is shared, and the schema cannot tie the
    // counter to the rows (a lost or doubled decrement, a confirmed order without one, breaks it).
    find({ events }) {
      const broken = events.filter((e) => e.capacity - e.remaining !== e.confirmedQuantity);
      return { count: broken.length, events: broken.map((e) => ({ ...e })) };
    },
    evidence: (f) => f.events.map((e) => `event ${e.id}: ${e.capacity - e.remaining} taken from stock, ${e.confirmedQuantity} tickets confirmed`),
  },
  unexpected: {
    text: 'no persisted order that nobody attempted',
    find({ purchases, rowsByKey, keylessRowsByEmail }) {
      const attempted = new Set(purchases.map((o) => o.key).filter((k) => k !== undefined));
      const keylessEmails = new Set(purchases.filter((o) => o.keyless).map((o) => o.email));
      const keys = [...rowsByKey.keys()].filter((k) => !attempted.has(k) && !keylessRowsByEmail.has(k));
      // Rows with the run's e-mail tag but no key of the run, from a request that never went out without one.
      for (const [email, rows] of keylessRowsByEmail) if (!keylessEmails.has(email)) keys.push(...rows.map((r) => `${r.idempotencyKey} (${email})`));
      return { count: keys.length, keys };
    },
    evidence: (f) => f.keys,
  },
  'failed-but-persisted': {
    text: 'no refused purchase was persisted',
    find({ purchases, rowsByKey, requests }) {
      // A key is refused when every attempt with it was: a retry with the same key that succeeded explains its row.
      const byKey = groupBy(purchases.filter((o) => o.key !== undefined), (o) => o.key!);
      const keys = [...byKey].filter(([k, ops]) => ops.every((o) => o.outcome === 'fail') && rowsByKey.has(k)).map(([k]) => k);
      for (const r of requests) if (keylessVerdict(r).refusedButPersisted) keys.push(`keyless ${r.name}`);
      return { count: keys.length, keys };
    },
    evidence: (f) => f.keys,
  },
};

/**
 * Orders a request's own retries asked for: retried with a new key or without
 * one after an outcome it could not know, it may hold one order per attempt
 * that was not refused. Not a duplicate — the client asked twice — but reported.
 */
function retryOrders(requests: readonly ClientRequest[]): NonNullable<CheckerResult['retryOrders']> {
  const names: string[] = [];
  let count = 0;
  for (const r of requests) {
    const keyed = new Set(r.keyedRows.map((row) => row.idempotencyKey)).size;
    const { excess, refusedButPersisted } = keylessVerdict(r);
    const keyless = refusedButPersisted ? 0 : r.keylessRows.length - excess;
    const refusedKeyed = new Set(r.attempts.filter((o) => o.key !== undefined && o.outcome === 'fail').map((o) => o.key)).size;
    const extra = keyed + keyless - 1 - Math.min(refusedKeyed, keyed);
    if (extra > 0) {
      count += extra;
      names.push(r.name);
    }
  }
  return { count, requests: names };
}

/** The e-mail tag of a buyer address `local+tag@domain`, if it has one. */
export function emailTag(email: string): string | undefined {
  const plus = email.lastIndexOf('+');
  const at = email.lastIndexOf('@');
  return plus >= 0 && at > plus ? email.slice(plus + 1, at) : undefined;
}

/** The findings of one invariant inside a checker result. */
export function findingsOf<I extends Invariant>(c: CheckerResult, invariant: I): Findings<I> {
  return c[FIELD[invariant]] as Findings<I>;
}

export function checkHistory(history: readonly Op[], state: FinalState, prefix: string): CheckerResult {
  const purchases = history.filter((o) => o.kind === 'purchase' && (o.key !== undefined || o.keyless));
  const ofRun = (r: OrderRow) => r.idempotencyKey.startsWith(prefix) || (r.email !== undefined && emailTag(r.email)?.startsWith(prefix) === true);
  const rows = state.orders.filter(ofRun);
  const keyed = rows.filter((r) => r.idempotencyKey.startsWith(prefix));
  const keylessRows = rows.filter((r) => !r.idempotencyKey.startsWith(prefix));
  const rowsByKey = groupBy(keyed, (r) => r.idempotencyKey);
  const keylessRowsByEmail = groupBy(keylessRows, (r) => r.email!);
  const requests = [...groupBy(purchases, (o) => o.request ?? o.id).values()].map((attempts): ClientRequest => {
    const email = attempts.find((o) => o.email)?.email;
    const keys = new Set(attempts.map((o) => o.key).filter((k) => k !== undefined));
    return {
      name: email ?? attempts[0]!.key ?? `op ${attempts[0]!.id}`,
      attempts,
      keyedRows: [...keys].flatMap((k) => rowsByKey.get(k) ?? []),
      keylessRows: attempts.some((o) => o.keyless) && email ? (keylessRowsByEmail.get(email) ?? []) : [],
    };
  });
  const facts: RunFacts = {
    purchases,
    acknowledged: purchases.filter(isAcknowledged),
    rows,
    rowsByKey,
    rowsById: groupBy(rows, (r) => r.id),
    keylessRowsByEmail,
    requests,
    events: state.events,
  };
  const findings = Object.fromEntries(INVARIANTS.map((i) => [FIELD[i], INVARIANT_RULES[i].find(facts)])) as Pick<CheckerResult, (typeof FIELD)[Invariant]>;
  const unknownOps = purchases.filter((o) => o.outcome === 'unknown');
  const recoveredKeys = unknownOps.filter((o) => rowsOf(o, facts).length > 0).map(nameOf);
  const notRecoveredKeys = unknownOps.filter((o) => rowsOf(o, facts).length === 0).map(nameOf);
  // Acknowledged, then REJECTED by the notifier (sold out meanwhile): honest, not lost.
  const rejectedAfterAck = facts.acknowledged.filter((op) => {
    const found = rowsOf(op, facts);
    return found.length > 0 && found.every((r) => r.status === 'REJECTED');
  }).length;

  return {
    prefix,
    attempted: purchases.length,
    acknowledged: facts.acknowledged.length,
    persisted: new Set(rows.map((r) => r.idempotencyKey)).size,
    ...findings,
    unknown: { count: unknownOps.length, recovered: recoveredKeys.length, notRecovered: notRecoveredKeys.length, recoveredKeys, notRecoveredKeys },
    rejectedAfterAck,
    retryOrders: retryOrders(requests),
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
