/**
 * Persist many queued purchases at once while keeping the per-message contract of persist.ts: each
 * caller awaits the result for its own message, and a message is acked only after the statement or
 * transaction that holds it committed — still exactly once.
 *
 * A batch is first ONE statement for all its messages (persist-many.ts: one round trip, one commit).
 * The messages it hands back (an event selling out inside the batch, a redelivery of a message of the
 * same batch) are persisted after it, in delivery order, in one transaction of one statement each. When
 * a batch fails for any reason other than the database being unreachable, every message of it is
 * persisted on its own (persistPurchase), so one poison message gets its own error (retry /
 * dead-letter) and never blocks the others.
 *
 * Messages handed in while a batch is being written wait for the next one, so the batch grows with
 * the load, bounded by maxBatch (the worker's prefetch window holds two batches: one written while the
 * next one is delivered).
 */
import type pg from 'pg';
import type { Database } from '../shared/db.js';
import { isRetryableDbError } from '../shared/db-errors.js';
import type { PurchaseMessage } from '../shared/message.js';
import { persistPurchase, UnknownEventError, type PersistResult } from './persist.js';
import { persistMany } from './persist-many.js';

/** One message in one statement: duplicate by key or order id, else take stock (CONFIRMED) or record SOLD_OUT (REJECTED). */
const PERSIST_ONE_SQL = `
WITH existing AS (
  SELECT id, status, reason FROM orders WHERE idempotency_key = $2::text OR id = $1::uuid LIMIT 1
), ev AS (
  SELECT id FROM events WHERE id = $3::int
), took AS (
  UPDATE events SET remaining = remaining - $4::int
   WHERE id = $3::int AND remaining >= $4::int AND NOT EXISTS (SELECT 1 FROM existing)
  RETURNING id
), decided AS (
  SELECT CASE WHEN EXISTS (SELECT 1 FROM took) THEN 'CONFIRMED' ELSE 'REJECTED' END AS status
), ins AS (
  INSERT INTO orders (id, idempotency_key, event_id, quantity, buyer_email, total_cents, status, reason, path, node_id, accepted_at, persisted_at)
  SELECT $1::uuid, $2::text, $3::int, $4::int, $5::text, $6::int, d.status, CASE d.status WHEN 'REJECTED' THEN 'SOLD_OUT' END,
         'async', $7::text, $8::timestamptz, now()
    FROM decided d
   WHERE NOT EXISTS (SELECT 1 FROM existing) AND EXISTS (SELECT 1 FROM ev)
  RETURNING id, status, reason
), notified AS (
  INSERT INTO notifications (order_id, email, kind)
  SELECT id, $5::text, CASE status WHEN 'CONFIRMED' THEN 'order_confirmed' ELSE 'order_rejected' END FROM ins
)
SELECT (SELECT count(*) FROM ev)::int AS event_found,
       i.id AS new_id, i.status AS new_status, i.reason AS new_reason,
       e.id AS old_id, e.status AS old_status, e.reason AS old_reason
  FROM (SELECT 1) AS one LEFT JOIN ins i ON true LEFT JOIN existing e ON true`;

interface OneRow {
  event_found: number;
  new_id: string | null;
  new_status: 'CONFIRMED' | 'REJECTED' | null;
  new_reason: string | null;
  old_id: string | null;
  old_status: 'CONFIRMED' | 'REJECTED' | null;
  old_reason: string | null;
}

type Outcome = PersistResult | UnknownEventError;

async function persistOne(client: pg.PoolClient, m: PurchaseMessage): Promise<Outcome> {
  const r = await client.query<OneRow>({ name: 'eventflow-persist-one', text: PERSIST_ONE_SQL }, [
    m.orderId,
    m.idempotencyKey,
    m.eventId,
    m.quantity,
    m.buyerEmail,
    m.totalCents,
    m.nodeId,
    m.acceptedAt,
  ]);
  const row = r.rows[0];
  if (!row) throw new Error(`persist statement returned no row for order ${m.orderId}`);
  if (row.old_id && row.old_status) return { result: 'duplicate', orderId: row.old_id, status: row.old_status, reason: row.old_reason };
  if (row.event_found === 0) return new UnknownEventError(m.eventId); // nothing written for it
  if (!row.new_id || !row.new_status) throw new Error(`persist statement wrote nothing for order ${m.orderId}`);
  return {
    result: row.new_status === 'CONFIRMED' ? 'confirmed' : 'rejected',
    orderId: row.new_id,
    status: row.new_status,
    reason: row.new_reason,
  };
}

interface Waiting {
  message: PurchaseMessage;
  resolve: (r: PersistResult) => void;
  reject: (err: unknown) => void;
}

export class PersistBatcher {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly db: Database,
    private readonly maxBatch: number,
  ) {}

  /** Persist one message; resolves once the batch holding it committed (same contract as persistPurchase). */
  persist(message: PurchaseMessage): Promise<PersistResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ message, resolve, reject });
      if (!this.writing) setImmediate(() => void this.flush()); // gather what arrives in the same delivery burst
    });
  }

  private async flush(): Promise<void> {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const batch = this.queue.splice(0, this.maxBatch);
    try {
      await (batch.length === 1 ? this.one(batch[0]!) : this.many(batch));
    } finally {
      this.writing = false;
      if (this.queue.length > 0) void this.flush();
    }
  }

  private async one(w: Waiting): Promise<void> {
    await persistPurchase(this.db, w.message).then(w.resolve, w.reject);
  }

  /** One statement for the whole batch; what it hands back goes through `inOrder` after it. */
  private async many(batch: Waiting[]): Promise<void> {
    let outcomes: Awaited<ReturnType<typeof persistMany>>;
    try {
      outcomes = await this.db.run((pool) => persistMany(pool, batch.map((w) => w.message)));
    } catch (err) {
      await this.failed(batch, err);
      return;
    }
    const deferred: Waiting[] = [];
    batch.forEach((w, i) => {
      const o = outcomes[i]!;
      if (o === 'deferred') deferred.push(w);
      else settle(w, o);
    });
    if (deferred.length > 0) await (deferred.length === 1 ? this.one(deferred[0]!) : this.inOrder(deferred));
  }

  /** One transaction, one statement per message in delivery order (each sees the stock the ones before it left). */
  private async inOrder(batch: Waiting[]): Promise<void> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.db.tx(async (client) => {
        const out: Outcome[] = [];
        for (const w of batch) out.push(await persistOne(client, w.message));
        return out;
      });
    } catch (err) {
      await this.failed(batch, err);
      return;
    }
    batch.forEach((w, i) => settle(w, outcomes[i]!));
  }

  private async failed(batch: Waiting[], err: unknown): Promise<void> {
    if (isRetryableDbError(err)) {
      for (const w of batch) w.reject(err); // every message is nacked and requeued; the worker pauses or backs off
      return;
    }
    // a message of the batch broke it (or a concurrent insert of the same key won): each on its own
    for (const w of batch) await this.one(w);
  }
}

function settle(w: Waiting, o: Outcome): void {
  if (o instanceof UnknownEventError) w.reject(o);
  else w.resolve(o);
}
