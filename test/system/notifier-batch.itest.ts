/**
 * The notifier's batching (system/notifier/batch.ts) against a real PostgreSQL: many queued purchases
 * in one transaction keep the per-message contract — exactly once, never oversold, a duplicate found by
 * key or order id — and one poison message (here: rejected by a trigger) falls back to per-message
 * persistence so that it fails alone and the rest of its batch is persisted. A batch is one statement
 * (persist-many.ts) when its event has the stock for it, and one statement per message in delivery order
 * when the event sells out inside the batch: both give what persisting one message after another gives.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../system/db/migrate.js';
import { PersistBatcher } from '../../system/notifier/batch.js';
import { UnknownEventError } from '../../system/notifier/persist.js';
import { createServiceDatabase, type Database } from '../../system/shared/db.js';
import { silentLogger } from '../../system/shared/logger.js';
import type { PurchaseMessage } from '../../system/shared/message.js';
import { createMetrics } from '../../system/shared/metrics.js';
import { startInfra, type Infra } from '../support/infra.js';
import { configFor, sql } from './helpers.js';

const TEST_EVENT = 77;
const CAPACITY = 5;
let infra: Infra;
let db: Database;

const message = (over: Partial<PurchaseMessage> = {}): PurchaseMessage => ({
  v: 1,
  orderId: randomUUID(),
  idempotencyKey: `batch-${randomUUID()}`,
  eventId: TEST_EVENT,
  quantity: 1,
  buyerEmail: 'fan@example.test',
  totalCents: 2575,
  nodeId: 'api-1',
  acceptedAt: new Date().toISOString(),
  ...over,
});

beforeAll(async () => {
  infra = await startInfra({ label: 'notifier-batch' });
  await migrate(infra.databaseUrl, silentLogger);
  await sql(
    infra,
    `INSERT INTO events (id, name, venue, starts_at, unit_price_cents, capacity, remaining)
     VALUES ($1, 'Batch Test', 'Nowhere', '2030-01-01T00:00:00Z', 2500, $2, $2)`,
    [TEST_EVENT, CAPACITY],
  );
  // a poison message: this trigger refuses one buyer, failing any transaction that holds its order
  await sql(
    infra,
    `CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN IF NEW.buyer_email = 'poison@example.test' THEN RAISE EXCEPTION 'poison order %', NEW.id; END IF; RETURN NEW; END $$;
     CREATE TRIGGER refuse_poison BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION refuse_poison();`,
  );
  db = createServiceDatabase(configFor('notifier', infra, 'notifier'), silentLogger, createMetrics('notifier', 'batch-test'), { breakerTimeout: false });
});

afterAll(async () => {
  await db?.close();
  await infra?.close();
});

describe('notifier batching', () => {
  it('persists a burst in one go: exactly the capacity confirmed, the rest rejected, duplicates found, each message once', async () => {
    const batcher = new PersistBatcher(db, 32);
    const burst = Array.from({ length: 12 }, () => message());
    const redelivered = { ...burst[0]! }; // the same message twice in one batch (a redelivery)
    const results = await Promise.all([...burst, redelivered].map((m) => batcher.persist(m)));

    expect(results.filter((r) => r.result === 'confirmed')).toHaveLength(CAPACITY);
    expect(results.filter((r) => r.result === 'rejected')).toHaveLength(burst.length - CAPACITY);
    expect(results.at(-1)).toMatchObject({ result: 'duplicate', orderId: burst[0]!.orderId });
    const [orders] = await sql<{ n: string; confirmed: string }>(
      infra,
      "SELECT count(*) AS n, count(*) FILTER (WHERE status = 'CONFIRMED') AS confirmed FROM orders WHERE event_id = $1",
      [TEST_EVENT],
    );
    expect(Number(orders!.n)).toBe(burst.length);
    expect(Number(orders!.confirmed)).toBe(CAPACITY);
    const [ev] = await sql<{ remaining: number }>(infra, 'SELECT remaining FROM events WHERE id = $1', [TEST_EVENT]);
    expect(ev!.remaining).toBe(0);
    const [notes] = await sql<{ n: string }>(infra, 'SELECT count(*) AS n FROM notifications n JOIN orders o ON o.id = n.order_id WHERE o.event_id = $1', [TEST_EVENT]);
    expect(Number(notes!.n)).toBe(burst.length);

    // a later redelivery of an order persisted in the batch, found by its order id under another key
    const again = await batcher.persist({ ...burst[3]!, idempotencyKey: `batch-${randomUUID()}` });
    expect(again).toMatchObject({ result: 'duplicate', orderId: burst[3]!.orderId });
  });

  it('one poison message fails alone: the others of its batch are persisted, an unknown event is reported for its message only', async () => {
    await sql(infra, 'UPDATE events SET capacity = capacity + 10, remaining = remaining + 10 WHERE id = $1', [TEST_EVENT]);
    const batcher = new PersistBatcher(db, 32);
    const good = Array.from({ length: 6 }, () => message());
    const poison = message({ buyerEmail: 'poison@example.test' });
    const unknown = message({ eventId: 424242 });
    const settled = await Promise.allSettled([...good.slice(0, 3), poison, unknown, ...good.slice(3)].map((m) => batcher.persist(m)));

    const poisonResult = settled[3]!;
    expect(poisonResult.status).toBe('rejected');
    expect(String((poisonResult as PromiseRejectedResult).reason)).toContain('poison order');
    const unknownResult = settled[4]!;
    expect(unknownResult.status).toBe('rejected');
    expect((unknownResult as PromiseRejectedResult).reason).toBeInstanceOf(UnknownEventError);
    const others = settled.filter((_, i) => i !== 3 && i !== 4);
    expect(others.map((s) => (s.status === 'fulfilled' ? s.value.result : s.status))).toEqual(good.map(() => 'confirmed'));
    const rows = await sql<{ idempotency_key: string }>(infra, 'SELECT idempotency_key FROM orders WHERE idempotency_key = ANY($1)', [
      [...good, poison, unknown].map((m) => m.idempotencyKey),
    ]);
    expect(rows.map((r) => r.idempotency_key).sort()).toEqual(good.map((m) => m.idempotencyKey).sort());
  });

  it('a batch that fits: all confirmed at once, a quantity above the stock rejected, a redelivery in the batch a duplicate', async () => {
    const event = 78;
    await sql(
      infra,
      `INSERT INTO events (id, name, venue, starts_at, unit_price_cents, capacity, remaining)
       VALUES ($1, 'Batch Fits', 'Nowhere', '2030-01-01T00:00:00Z', 2500, 20, 20)`,
      [event],
    );
    const batcher = new PersistBatcher(db, 32);
    const fits = Array.from({ length: 9 }, (_, i) => message({ eventId: event, quantity: 1 + (i % 2) })); // 5 × 1 + 4 × 2 = 13
    const tooLarge = message({ eventId: 4, quantity: 6 }); // event 4 (seed) holds 5
    const redelivered = { ...fits[2]! };
    const first = await Promise.all([...fits, tooLarge, redelivered].map((m) => batcher.persist(m)));
    expect(first.slice(0, fits.length).map((r) => r.result)).toEqual(fits.map(() => 'confirmed'));
    expect(first[fits.length]).toMatchObject({ result: 'rejected', status: 'REJECTED', reason: 'SOLD_OUT', orderId: tooLarge.orderId });
    expect(first.at(-1)).toMatchObject({ result: 'duplicate', orderId: fits[2]!.orderId, status: 'CONFIRMED' });
    const [ev] = await sql<{ remaining: number }>(infra, 'SELECT remaining FROM events WHERE id = $1', [event]);
    expect(ev!.remaining).toBe(20 - 13);

    // 7 left: four of 2 do not fit together (each would alone): decided one by one in delivery order; 10 > 7 is rejected at once
    const small = Array.from({ length: 4 }, () => message({ eventId: event, quantity: 2 }));
    const tooMany = message({ eventId: event, quantity: 10 });
    const second = await Promise.all([...small, tooMany].map((m) => batcher.persist(m)));
    expect(second.map((r) => r.result)).toEqual(['confirmed', 'confirmed', 'confirmed', 'rejected', 'rejected']);
    const [after] = await sql<{ remaining: number; orders: string; confirmed: string }>(
      infra,
      `SELECT e.remaining, count(o.id) AS orders, count(o.id) FILTER (WHERE o.status = 'CONFIRMED') AS confirmed
         FROM events e LEFT JOIN orders o ON o.event_id = e.id WHERE e.id = $1 GROUP BY e.remaining`,
      [event],
    );
    expect(after).toMatchObject({ remaining: 1, orders: '14', confirmed: '12' });
    const [notes] = await sql<{ n: string }>(infra, 'SELECT count(*) AS n FROM notifications n JOIN orders o ON o.id = n.order_id WHERE o.event_id = $1', [event]);
    expect(Number(notes!.n)).toBe(14);
  });
});
