import type pg from 'pg';
import { BrokerUnavailableError, type Broker } from '../shared/broker.js';
import { mayHaveReachedDatabase, type Database } from '../shared/db.js';
import { classifyDbError } from '../shared/db-errors.js';
import { AppError, eventNotFound, outcomeUnknown, soldOut, unavailable } from '../shared/errors.js';
import { errorMessage, type Logger } from '../shared/logger.js';
import { ATTEMPTS_HEADER, encodeMessage, PUBLISH_OPTIONS_BASE, QUEUE, type PurchaseMessage } from '../shared/message.js';
import type { Metrics, PURCHASE_OUTCOMES } from '../shared/metrics.js';
import { orderIdFor } from '../shared/order-id.js';
import type { Catalogue } from './catalogue.js';
import type { PendingStore } from './pending.js';
import { priceOrder } from './pricing.js';
import { PurchaseStatement, type OrderRow } from './purchase-statement.js';

export interface PurchaseInput {
  eventId: number;
  quantity: number;
  email: string;
  idempotencyKey: string;
}

export interface PurchaseAnswer {
  status: 'CONFIRMED' | 'ACCEPTED_ASYNC';
  orderId: string;
  eventId: number;
  quantity: number;
  totalCents: number;
  idempotencyKey: string;
}

export interface PurchaseOutcome {
  httpStatus: 201 | 202;
  body: PurchaseAnswer;
}


export const RETRY_AFTER_SECONDS = 2;

/** `eventflow_purchases_total{outcome}` of an answer that is not a purchase: refused (nothing stored) or unknown. */
const OUTCOME_OF_5XX: Partial<Record<number, (typeof PURCHASE_OUTCOMES)[number]>> = { 500: 'refused', 503: 'refused', 504: 'unknown' };

const isOpenBreaker = (err: unknown): boolean =>
  typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EOPENBREAKER';

/**
 * A sync failure the database will not get over by itself (classifyDbError → rejected: a constraint, invalid
 * data, a bug): the transaction rolled back, so answer 500 now rather than accept the purchase for the
 * notifier, which would meet the same refusal and dead-letter an acknowledged order.
 */
function refuseIfRejected(err: unknown, orderId: string, log: Logger): void {
  if (classifyDbError(err) !== 'rejected') return;
  log.error({ err: errorMessage(err), orderId }, 'purchase refused: the database rejected it');
  throw new AppError(500, 'INTERNAL', `the database rejected the purchase (${errorMessage(err)}); nothing was stored`);
}

export class PurchaseService {
  private readonly statement = new PurchaseStatement((unit, quantity) => priceOrder(unit, quantity).totalCents);

  constructor(
    private readonly deps: {
      db: Database;
      broker: Broker;
      catalogue: Catalogue;
      pending: PendingStore;
      metrics: Metrics;
      log: Logger;
      nodeId: string;
    },
  ) {}

  private answerFromRow(row: OrderRow, key: string): PurchaseOutcome {
    if (row.status === 'REJECTED') {
      throw new AppError(409, 'SOLD_OUT', `order ${row.id} for this Idempotency-Key was rejected: ${row.reason ?? 'SOLD_OUT'}`);
    }
    return {
      httpStatus: 201,
      body: { status: 'CONFIRMED', orderId: row.id, eventId: row.event_id, quantity: row.quantity, totalCents: row.total_cents, idempotencyKey: key },
    };
  }

  private async findByKey(client: pg.PoolClient | pg.Pool, key: string): Promise<OrderRow | undefined> {
    const r = await client.query<OrderRow>(
      'SELECT id, event_id, quantity, total_cents, status, reason FROM orders WHERE idempotency_key = $1',
      [key],
    );
    return r.rows[0];
  }

  /** The synchronous path: one statement checks the key and stock, takes stock, inserts order + notification (purchase-statement.ts). */
  private async syncPurchase(input: PurchaseInput, orderId: string, acceptedAt: string): Promise<PurchaseOutcome> {
    const { db, nodeId } = this.deps;
    const r = await db.run((pool) => this.statement.run(pool, { ...input, orderId, acceptedAt, nodeId }));
    switch (r.kind) {
      case 'confirmed':
        return {
          httpStatus: 201,
          body: { status: 'CONFIRMED', orderId, eventId: input.eventId, quantity: input.quantity, totalCents: r.totalCents, idempotencyKey: input.idempotencyKey },
        };
      case 'existing':
        return this.answerFromRow(r.row, input.idempotencyKey);
      case 'unknown-event':
        throw eventNotFound(input.eventId);
      case 'sold-out':
        throw soldOut(input.eventId, r.remaining);
      case 'key-race': {
        const row = await db.run((pool) => this.findByKey(pool, input.idempotencyKey));
        if (!row) throw new Error(`order for Idempotency-Key ${input.idempotencyKey} vanished after a concurrent insert`);
        return this.answerFromRow(row, input.idempotencyKey);
      }
    }
  }

  /**
   * The asynchronous path: durable message with publisher confirm, then PENDING record, then 202. `dbMayHaveStored`:
   * a sync attempt's statement may have reached PostgreSQL unanswered (mayHaveReachedDatabase), so a refusal here
   * is a 504 OUTCOME_UNKNOWN, never a 503 that says nothing was stored.
   */
  private async asyncPurchase(input: PurchaseInput, orderId: string, acceptedAt: string, dbError: unknown, dbMayHaveStored: boolean): Promise<PurchaseOutcome> {
    const { broker, catalogue, pending, nodeId, log } = this.deps;
    const refuse = (why: string): AppError => {
      if (!dbMayHaveStored) return unavailable(`${why}; nothing was stored`, RETRY_AFTER_SECONDS);
      log.warn({ dbError: errorMessage(dbError), orderId, why }, 'purchase outcome unknown: the database may commit the statement it did not answer');
      return outcomeUnknown(
        `${why}; the database did not answer a purchase statement it may have received, so order ${orderId} may still be committed: retry with the same Idempotency-Key to learn its outcome`,
        RETRY_AFTER_SECONDS,
      );
    };
    const { event, catalogueKnown } = await catalogue.lookupOffline(input.eventId);
    if (!event) {
      if (catalogueKnown) throw eventNotFound(input.eventId);
      throw refuse('database unreachable and the catalogue is not known yet; retry later');
    }
    // stock only goes down: a known remaining below the quantity means sold out for sure
    if (event.remaining < input.quantity) throw soldOut(input.eventId, event.remaining);
    const { totalCents } = priceOrder(event.unitPriceCents, input.quantity);
    const message: PurchaseMessage = {
      v: 1,
      orderId,
      idempotencyKey: input.idempotencyKey,
      eventId: input.eventId,
      quantity: input.quantity,
      buyerEmail: input.email,
      totalCents,
      nodeId,
      acceptedAt,
    };
    try {
      await broker.publish('', QUEUE, encodeMessage(message), {
        ...PUBLISH_OPTIONS_BASE,
        messageId: orderId,
        timestamp: Math.floor(Date.now() / 1000),
        headers: { [ATTEMPTS_HEADER]: 0 },
      });
    } catch (err) {
      if (err instanceof BrokerUnavailableError && err.mayHaveStored) {
        // never a pending record here: the message may be lost, and a replay must not be told it was accepted
        log.warn({ err: errorMessage(err), dbError: errorMessage(dbError), orderId }, 'purchase outcome unknown: the broker may have queued it');
        throw outcomeUnknown(
          `database unreachable (${errorMessage(dbError)}) and the broker did not confirm (${errorMessage(err)}): order ${orderId} may have been queued; retry with the same Idempotency-Key to learn its outcome`,
          RETRY_AFTER_SECONDS,
        );
      }
      if (!dbMayHaveStored) log.warn({ err: errorMessage(err), dbError: errorMessage(dbError), orderId }, 'purchase refused: database and broker unavailable');
      throw refuse(`database unreachable (${errorMessage(dbError)}) and broker unavailable (${errorMessage(err)})`);
    }
    await pending.record(message);
    return {
      httpStatus: 202,
      body: { status: 'ACCEPTED_ASYNC', orderId, eventId: input.eventId, quantity: input.quantity, totalCents, idempotencyKey: input.idempotencyKey },
    };
  }

  async purchase(input: PurchaseInput): Promise<PurchaseOutcome> {
    const { pending, db, metrics } = this.deps;
    try {
      // replay of an order accepted asynchronously (by any node): same order, never a second one
      const known = await pending.findByKey(input.idempotencyKey);
      if (known) {
        const settled = await db.run((pool) => this.findByKey(pool, input.idempotencyKey)).catch(() => undefined);
        if (settled) return this.answerFromRow(settled, input.idempotencyKey);
        return {
          httpStatus: 202,
          body: {
            status: 'ACCEPTED_ASYNC',
            orderId: known.orderId,
            eventId: known.eventId,
            quantity: known.quantity,
            totalCents: known.totalCents,
            idempotencyKey: known.idempotencyKey,
          },
        };
      }
      // one key, one order id: on every node, on every path, whatever is down (system/shared/order-id.ts)
      const orderId = orderIdFor(input.idempotencyKey);
      const acceptedAt = new Date().toISOString();
      let outcome: PurchaseOutcome;
      try {
        outcome = await this.syncPurchase(input, orderId, acceptedAt);
      } catch (err) {
        if (err instanceof AppError) throw err;
        refuseIfRejected(err, orderId, this.deps.log);
        let dbError: unknown = err;
        // a statement PostgreSQL received but did not answer may still commit (a frozen database thaws)
        let dbMayHaveStored = mayHaveReachedDatabase(err);
        let retried: PurchaseOutcome | undefined;
        if (!this.deps.broker.ready && !isOpenBreaker(err)) {
          // The async path needs the broker and it is down, so a first sync failure that is not a known outage
          // (a slow connect or a timed-out transaction under host load) gets one more bounded try instead of a 503.
          // Same orderId and key: a first attempt whose COMMIT answer was lost is found by key, never doubled.
          this.deps.log.warn({ err: errorMessage(err), orderId }, 'sync purchase failed with the broker down: retrying once');
          try {
            retried = await this.syncPurchase(input, orderId, acceptedAt);
          } catch (err2) {
            if (err2 instanceof AppError) throw err2;
            refuseIfRejected(err2, orderId, this.deps.log);
            dbError = err2;
            dbMayHaveStored ||= mayHaveReachedDatabase(err2);
          }
        }
        // The async message reuses this orderId and idempotency key: if a sync attempt did commit after all (its
        // COMMIT was sent but the answer lost), the notifier finds the order by key/id and records a duplicate,
        // so one purchase is one order whichever path reported it.
        outcome = retried ?? (await this.asyncPurchase(input, orderId, acceptedAt, dbError, dbMayHaveStored));
      }
      metrics.purchases.inc({ outcome: outcome.httpStatus === 201 ? 'confirmed' : 'accepted_async' });
      return outcome;
    } catch (err) {
      if (err instanceof AppError) {
        metrics.purchases.inc({ outcome: OUTCOME_OF_5XX[err.statusCode] ?? (err.code === 'SOLD_OUT' ? 'rejected' : 'invalid') });
      } else if (err instanceof BrokerUnavailableError) {
        metrics.purchases.inc({ outcome: 'refused' });
      }
      throw err;
    }
  }
}
