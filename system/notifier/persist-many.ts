/**
 * Many queued purchases in ONE statement (one round trip, one commit: a single statement is its own
 * transaction), with the outcome each would have had persisted one after another in delivery order:
 *
 * - already stored (by key or order id), or a later copy in the same batch of a message before it
 *   (a redelivery) → duplicate / handed back to be persisted after this batch (it then finds the first);
 * - event unknown → nothing written for it;
 * - quantity above the event's remaining stock → REJECTED (SOLD_OUT): stock only goes down while a
 *   batch is persisted in order, so it would have been rejected whatever came before it;
 * - the others of an event are CONFIRMED together when their total fits the remaining stock (one
 *   guarded UPDATE per event, re-checked on the latest row version under concurrent purchases); when it
 *   does not fit (the sale is selling out inside this batch) they are handed back ("deferred") to be
 *   persisted one by one in order, which decides exactly which of them still fit.
 *
 * A concurrent insert of the same key or id (a sync purchase whose COMMIT answer was lost) makes the
 * statement fail on the unique constraint and write nothing: the caller falls back to one message at a
 * time, which finds that order and reports a duplicate — exactly once either way.
 */
import type pg from 'pg';
import type { PurchaseMessage } from '../shared/message.js';
import { UnknownEventError, type PersistResult } from './persist.js';

const PERSIST_MANY_SQL = `
WITH m AS (
  SELECT * FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[], $6::int[], $7::text[], $8::timestamptz[])
    WITH ORDINALITY AS t(id, idempotency_key, event_id, quantity, buyer_email, total_cents, node_id, accepted_at, ord)
), existing AS (
  SELECT m.ord, o.id, o.status, o.reason
    FROM m CROSS JOIN LATERAL (SELECT id, status, reason FROM orders WHERE idempotency_key = m.idempotency_key OR id = m.id LIMIT 1) o
), fresh AS (
  SELECT m.*, ev.remaining
    FROM m JOIN events ev ON ev.id = m.event_id
   WHERE NOT EXISTS (SELECT 1 FROM existing x WHERE x.ord = m.ord)
     AND NOT EXISTS (SELECT 1 FROM m AS earlier WHERE earlier.ord < m.ord AND (earlier.idempotency_key = m.idempotency_key OR earlier.id = m.id))
), wanted AS (
  SELECT event_id, sum(quantity)::int AS quantity FROM fresh WHERE quantity <= remaining GROUP BY event_id
), took AS (
  UPDATE events e SET remaining = e.remaining - w.quantity
    FROM wanted w
   WHERE e.id = w.event_id AND e.remaining >= w.quantity
  RETURNING e.id
), decided AS (
  SELECT f.*, CASE WHEN f.quantity > f.remaining THEN 'REJECTED' ELSE 'CONFIRMED' END AS status
    FROM fresh f
   WHERE f.quantity > f.remaining OR f.event_id IN (SELECT id FROM took)
), ins AS (
  INSERT INTO orders (id, idempotency_key, event_id, quantity, buyer_email, total_cents, status, reason, path, node_id, accepted_at, persisted_at)
  SELECT id, idempotency_key, event_id, quantity, buyer_email, total_cents, status, CASE status WHEN 'REJECTED' THEN 'SOLD_OUT' END,
         'async', node_id, accepted_at, now()
    FROM decided ORDER BY ord
  RETURNING id, buyer_email, status
), notified AS (
  INSERT INTO notifications (order_id, email, kind)
  SELECT id, buyer_email, CASE status WHEN 'CONFIRMED' THEN 'order_confirmed' ELSE 'order_rejected' END FROM ins
)
SELECT m.ord::int AS ord,
       CASE WHEN x.ord IS NOT NULL THEN 'duplicate'
            WHEN d.ord IS NOT NULL THEN lower(d.status)
            WHEN NOT EXISTS (SELECT 1 FROM events ev WHERE ev.id = m.event_id) THEN 'unknown_event'
            ELSE 'deferred' END AS outcome,
       coalesce(x.id, m.id) AS id,
       coalesce(x.status, d.status) AS status,
       CASE WHEN x.ord IS NOT NULL THEN x.reason WHEN d.status = 'REJECTED' THEN 'SOLD_OUT' END AS reason
  FROM m LEFT JOIN existing x ON x.ord = m.ord LEFT JOIN decided d ON d.ord = m.ord
 ORDER BY m.ord`;

interface ManyRow {
  ord: number;
  outcome: 'duplicate' | 'confirmed' | 'rejected' | 'unknown_event' | 'deferred';
  id: string;
  status: 'CONFIRMED' | 'REJECTED' | null;
  reason: string | null;
}

/** Per message, in the order given: its result, UnknownEventError (nothing written), or 'deferred' (nothing written, persist it after this). */
export type ManyOutcome = PersistResult | UnknownEventError | 'deferred';

function outcomeOf(row: ManyRow, m: PurchaseMessage): ManyOutcome {
  switch (row.outcome) {
    case 'deferred':
      return 'deferred';
    case 'unknown_event':
      return new UnknownEventError(m.eventId);
    case 'duplicate':
    case 'confirmed':
    case 'rejected':
      if (!row.status) throw new Error(`persist-many returned ${row.outcome} without a status for order ${m.orderId}`);
      return { result: row.outcome, orderId: row.id, status: row.status, reason: row.reason };
  }
}

export async function persistMany(pool: pg.Pool, messages: readonly PurchaseMessage[]): Promise<ManyOutcome[]> {
  const column = <T>(f: (m: PurchaseMessage) => T): T[] => messages.map(f);
  const r = await pool.query<ManyRow>({ name: 'eventflow-persist-many', text: PERSIST_MANY_SQL }, [
    column((m) => m.orderId),
    column((m) => m.idempotencyKey),
    column((m) => m.eventId),
    column((m) => m.quantity),
    column((m) => m.buyerEmail),
    column((m) => m.totalCents),
    column((m) => m.nodeId),
    column((m) => m.acceptedAt),
  ]);
  if (r.rows.length !== messages.length) throw new Error(`persist-many returned ${r.rows.length} rows for ${messages.length} messages`);
  return r.rows.map((row, i) => {
    if (row.ord !== i + 1) throw new Error(`persist-many returned row ${row.ord} at position ${i + 1}`);
    return outcomeOf(row, messages[i]!);
  });
}
