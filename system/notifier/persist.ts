import type { Database } from '../shared/db.js';
import type { PurchaseMessage } from '../shared/message.js';

export type PersistResult =
  | { result: 'confirmed' | 'rejected'; orderId: string; status: 'CONFIRMED' | 'REJECTED'; reason: string | null }
  | { result: 'duplicate'; orderId: string; status: 'CONFIRMED' | 'REJECTED'; reason: string | null };

/** The event of a message does not exist: nothing can ever persist it (dead-letter). */
export class UnknownEventError extends Error {
  constructor(readonly eventId: number) {
    super(`event ${eventId} does not exist`);
    this.name = 'UnknownEventError';
  }
}

class InsertRace extends Error {}

interface Existing {
  id: string;
  status: 'CONFIRMED' | 'REJECTED';
  reason: string | null;
}

const FIND = 'SELECT id, status, reason FROM orders WHERE idempotency_key = $1 OR id = $2 LIMIT 1';

/**
 * Persist one queued purchase exactly once, in one transaction:
 * already there (by key or order id) → duplicate; else take stock only if
 * `remaining >= quantity` (CONFIRMED) or record REJECTED/SOLD_OUT (never
 * oversell); insert the order ON CONFLICT DO NOTHING (a concurrent insert
 * rolls everything back and counts as duplicate); insert the notification row.
 */
export async function persistPurchase(db: Database, m: PurchaseMessage): Promise<PersistResult> {
  try {
    return await db.tx(async (client): Promise<PersistResult> => {
      const found = (await client.query<Existing>(FIND, [m.idempotencyKey, m.orderId])).rows[0];
      if (found) return { result: 'duplicate', orderId: found.id, status: found.status, reason: found.reason };
      const took = await client.query('UPDATE events SET remaining = remaining - $2 WHERE id = $1 AND remaining >= $2 RETURNING id', [
        m.eventId,
        m.quantity,
      ]);
      let status: 'CONFIRMED' | 'REJECTED' = 'CONFIRMED';
      let reason: string | null = null;
      if (took.rowCount === 0) {
        const exists = await client.query('SELECT 1 FROM events WHERE id = $1', [m.eventId]);
        if (exists.rowCount === 0) throw new UnknownEventError(m.eventId);
        status = 'REJECTED';
        reason = 'SOLD_OUT';
      }
      const ins = await client.query(
        `INSERT INTO orders (id, idempotency_key, event_id, quantity, buyer_email, total_cents, status, reason, path, node_id, accepted_at, persisted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'async', $9, $10, now())
         ON CONFLICT DO NOTHING RETURNING id`,
        [m.orderId, m.idempotencyKey, m.eventId, m.quantity, m.buyerEmail, m.totalCents, status, reason, m.nodeId, m.acceptedAt],
      );
      if (ins.rowCount === 0) throw new InsertRace();
      await client.query('INSERT INTO notifications (order_id, email, kind) VALUES ($1, $2, $3) ON CONFLICT (order_id) DO NOTHING', [
        m.orderId,
        m.buyerEmail,
        status === 'CONFIRMED' ? 'order_confirmed' : 'order_rejected',
      ]);
      return { result: status === 'CONFIRMED' ? 'confirmed' : 'rejected', orderId: m.orderId, status, reason };
    });
  } catch (err) {
    if (!(err instanceof InsertRace)) throw err;
    const found = await db.run(async (pool) => (await pool.query<Existing>(FIND, [m.idempotencyKey, m.orderId])).rows[0]);
    if (!found) throw err;
    return { result: 'duplicate', orderId: found.id, status: found.status, reason: found.reason };
  }
}
