import type { Cache } from '../shared/cache.js';
import type { PurchaseMessage } from '../shared/message.js';
import type { OrderStatus, OrderView } from './types.js';

const TTL_SECONDS = 7 * 24 * 3600;
const MAX_LOCAL = 100_000;

export interface PendingRecord {
  orderId: string;
  idempotencyKey: string;
  eventId: number;
  quantity: number;
  totalCents: number;
  status: OrderStatus;
  reason?: string;
  acceptedAt: string;
}

export const orderKey = (id: string): string => `order:${id}`;
export const idemKey = (key: string): string => `idem:${key}`;

function fromHash(h: Record<string, string>): PendingRecord | undefined {
  if (!h.orderId || !h.idempotencyKey) return undefined;
  const status = h.status === 'CONFIRMED' || h.status === 'REJECTED' ? h.status : 'PENDING';
  return {
    orderId: h.orderId,
    idempotencyKey: h.idempotencyKey,
    eventId: Number(h.eventId),
    quantity: Number(h.quantity),
    totalCents: Number(h.totalCents),
    status,
    ...(h.reason ? { reason: h.reason } : {}),
    acceptedAt: h.acceptedAt ?? '',
  };
}

export function viewOf(r: PendingRecord): OrderView {
  return {
    orderId: r.orderId,
    status: r.status,
    eventId: r.eventId,
    quantity: r.quantity,
    totalCents: r.totalCents,
    idempotencyKey: r.idempotencyKey,
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/**
 * Orders accepted asynchronously (not yet rows): in node memory (bounded,
 * oldest evicted) and in Redis (`order:<id>` hash, `idem:<key>` → id), so any
 * node can answer for them while PostgreSQL is down.
 */
export class PendingStore {
  private readonly byId = new Map<string, PendingRecord>();
  private readonly byKey = new Map<string, string>();

  constructor(private readonly cache: Cache) {}

  get size(): number {
    return this.byId.size;
  }

  async record(msg: PurchaseMessage): Promise<void> {
    const rec: PendingRecord = {
      orderId: msg.orderId,
      idempotencyKey: msg.idempotencyKey,
      eventId: msg.eventId,
      quantity: msg.quantity,
      totalCents: msg.totalCents,
      status: 'PENDING',
      acceptedAt: msg.acceptedAt,
    };
    this.remember(rec);
    try {
      await this.cache.redis
        .multi()
        .hset(orderKey(rec.orderId), { ...rec })
        .expire(orderKey(rec.orderId), TTL_SECONDS)
        .set(idemKey(rec.idempotencyKey), rec.orderId, 'EX', TTL_SECONDS)
        .exec();
    } catch {
      /* Redis down: node memory still has it; the durable copy is the broker message */
    }
  }

  private remember(rec: PendingRecord): void {
    if (this.byId.size >= MAX_LOCAL) {
      const oldest = this.byId.keys().next().value;
      if (oldest !== undefined) this.forgetLocal(oldest);
    }
    this.byId.set(rec.orderId, rec);
    this.byKey.set(rec.idempotencyKey, rec.orderId);
  }

  private forgetLocal(orderId: string): void {
    const rec = this.byId.get(orderId);
    if (rec) this.byKey.delete(rec.idempotencyKey);
    this.byId.delete(orderId);
  }

  async findById(orderId: string): Promise<PendingRecord | undefined> {
    const local = this.byId.get(orderId);
    if (local) return local;
    try {
      return fromHash(await this.cache.redis.hgetall(orderKey(orderId)));
    } catch {
      return undefined;
    }
  }

  async findByKey(key: string): Promise<PendingRecord | undefined> {
    const id = this.byKey.get(key);
    if (id) return this.byId.get(id);
    try {
      const remoteId = await this.cache.redis.get(idemKey(key));
      return remoteId ? await this.findById(remoteId) : undefined;
    } catch {
      return undefined;
    }
  }

  /** PostgreSQL now has the order: drop it from memory, note the final status in Redis for reads during a later outage. */
  async settled(orderId: string, status: 'CONFIRMED' | 'REJECTED', reason?: string | null): Promise<void> {
    this.forgetLocal(orderId);
    try {
      if ((await this.cache.redis.exists(orderKey(orderId))) === 1) {
        await this.cache.redis.hset(orderKey(orderId), { status, reason: reason ?? '' });
      }
    } catch {
      /* best effort */
    }
  }
}
