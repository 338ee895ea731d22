export interface Event {
  id: number;
  name: string;
  venue: string;
  startsAt: string;
  unitPriceCents: number;
  capacity: number;
  remaining: number;
}

export type Source = 'db' | 'cache';

export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'REJECTED';

export interface OrderView {
  orderId: string;
  status: OrderStatus;
  eventId: number;
  quantity: number;
  totalCents: number;
  reason?: string;
  idempotencyKey?: string;
}

export interface EventRow {
  id: number;
  name: string;
  venue: string;
  starts_at: Date | string;
  unit_price_cents: number;
  capacity: number;
  remaining: number;
}

export function eventFromRow(r: EventRow): Event {
  return {
    id: r.id,
    name: r.name,
    venue: r.venue,
    startsAt: r.starts_at instanceof Date ? r.starts_at.toISOString() : new Date(r.starts_at).toISOString(),
    unitPriceCents: r.unit_price_cents,
    capacity: r.capacity,
    remaining: r.remaining,
  };
}
