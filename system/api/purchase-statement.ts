/**
 * The synchronous purchase as ONE SQL statement (one round trip, autocommit): look the key up, take
 * the stock only if it is there, insert the order and its notification row — the event's row lock is
 * held for one statement and its commit instead of across BEGIN/SELECT/UPDATE/INSERT/INSERT/COMMIT.
 *
 * The total is priced in TypeScript (pricing.ts), so the statement is given the unit price it was
 * priced with and takes stock only when the event still has that price; a node learns each event's
 * price from the first answer (a miss costs one more round trip, once per event and node).
 *
 * A concurrent request with the same Idempotency-Key makes the INSERT fail with a unique violation:
 * the whole statement — stock included — is rolled back by PostgreSQL, and the caller reads the winner.
 */
import type pg from 'pg';

export interface OrderRow {
  id: string;
  event_id: number;
  quantity: number;
  total_cents: number;
  status: 'CONFIRMED' | 'REJECTED';
  reason: string | null;
}

export interface StatementInput {
  orderId: string;
  idempotencyKey: string;
  eventId: number;
  quantity: number;
  email: string;
  nodeId: string;
  acceptedAt: string;
}

export type StatementResult =
  | { kind: 'confirmed'; unitPriceCents: number; totalCents: number }
  | { kind: 'existing'; row: OrderRow }
  | { kind: 'unknown-event' }
  | { kind: 'sold-out'; remaining: number }
  /** the key is being inserted by a concurrent request right now: read the winner */
  | { kind: 'key-race' };

const PURCHASE_SQL = `
WITH existing AS (
  SELECT id, event_id, quantity, total_cents, status, reason FROM orders WHERE idempotency_key = $2::text
), ev AS (
  SELECT unit_price_cents, remaining FROM events WHERE id = $3::int
), took AS (
  UPDATE events SET remaining = remaining - $4::int
   WHERE id = $3::int AND remaining >= $4::int AND unit_price_cents = $8::int AND NOT EXISTS (SELECT 1 FROM existing)
  RETURNING id
), ins AS (
  INSERT INTO orders (id, idempotency_key, event_id, quantity, buyer_email, total_cents, status, reason, path, node_id, accepted_at, persisted_at)
  SELECT $1::uuid, $2::text, $3::int, $4::int, $5::text, $9::int, 'CONFIRMED', NULL, 'sync', $6::text, $7::timestamptz, now() FROM took
  RETURNING id
), notified AS (
  INSERT INTO notifications (order_id, email, kind) SELECT id, $5::text, 'order_confirmed' FROM ins
)
SELECT (SELECT count(*) FROM ins)::int AS inserted,
       (SELECT unit_price_cents FROM ev) AS unit_price_cents,
       (SELECT remaining FROM ev) AS remaining,
       e.id, e.event_id, e.quantity, e.total_cents, e.status, e.reason
  FROM (SELECT 1) AS one LEFT JOIN existing e ON true`;

interface ResultRow extends Partial<OrderRow> {
  inserted: number;
  unit_price_cents: number | null;
  remaining: number | null;
}

const isUniqueViolation = (err: unknown): boolean => typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';

/**
 * One attempt with a given unit price. `priceMismatch` in the answer means the event exists with another
 * price than the one given: nothing was written.
 */
async function attempt(
  db: pg.Pool,
  input: StatementInput,
  unitPriceCents: number,
  totalCents: number,
): Promise<StatementResult | { kind: 'price-mismatch'; unitPriceCents: number }> {
  let row: ResultRow | undefined;
  try {
    // named: prepared once per connection, so PostgreSQL does not parse and plan the CTE on every purchase
    const r = await db.query<ResultRow>({ name: 'eventflow-purchase', text: PURCHASE_SQL }, [
      input.orderId,
      input.idempotencyKey,
      input.eventId,
      input.quantity,
      input.email,
      input.nodeId,
      input.acceptedAt,
      unitPriceCents,
      totalCents,
    ]);
    row = r.rows[0];
  } catch (err) {
    if (isUniqueViolation(err)) return { kind: 'key-race' };
    throw err;
  }
  if (!row) throw new Error('purchase statement returned no row');
  if (row.id) return { kind: 'existing', row: row as OrderRow };
  if (row.inserted === 1) return { kind: 'confirmed', unitPriceCents, totalCents };
  if (row.unit_price_cents === null || row.remaining === null) return { kind: 'unknown-event' };
  if (row.unit_price_cents !== unitPriceCents) return { kind: 'price-mismatch', unitPriceCents: row.unit_price_cents };
  return { kind: 'sold-out', remaining: row.remaining };
}

/** Runs the statement, learning and remembering each event's unit price (at most one extra round trip per event). */
export class PurchaseStatement {
  private readonly unitPrices = new Map<number, number>();

  constructor(private readonly price: (unitPriceCents: number, quantity: number) => number) {}

  async run(db: pg.Pool, input: StatementInput): Promise<StatementResult> {
    let unit = this.unitPrices.get(input.eventId) ?? -1; // -1: no event has it, so the first try only learns the price
    for (let tries = 0; tries < 3; tries++) {
      const r = await attempt(db, input, unit, unit < 0 ? 0 : this.price(unit, input.quantity));
      if (r.kind !== 'price-mismatch') return r;
      unit = r.unitPriceCents;
      this.unitPrices.set(input.eventId, unit);
    }
    throw new Error(`event ${input.eventId}: its unit price kept changing during the purchase`);
  }
}
