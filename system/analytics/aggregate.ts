/**
 * Pure, null-safe aggregation for analytics. PostgreSQL returns SUM()/COUNT()
 * of bigints as strings and SUM over no rows as NULL; everything goes through
 * toCount() so empty tables, nulls and garbage give 0, never NaN.
 */
export interface SalesRow {
  event_id: number | string | null;
  name: string | null;
  tickets_sold: number | string | null;
  revenue_cents: number | string | null;
}
export interface TotalsRow {
  confirmed_orders: number | string | null;
  rejected_orders: number | string | null;
  revenue_cents: number | string | null;
  tickets_sold: number | string | null;
  sync_orders: number | string | null;
  async_orders: number | string | null;
}

export interface EventSales {
  eventId: number;
  name: string;
  ticketsSold: number;
  revenueCents: number;
}

export interface Snapshot {
  totalCents: number;
  orders: number;
  rejectedOrders: number;
  ticketsSold: number;
  averageOrderCents: number | null;
  byPath: { sync: number; async: number };
  events: EventSales[];
  topEvent: EventSales | null;
  generatedAt: string;
}

export function toCount(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : typeof value === 'string' || typeof value === 'bigint' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

export function buildSnapshot(totals: TotalsRow | undefined, sales: readonly SalesRow[], now: Date = new Date()): Snapshot {
  const orders = toCount(totals?.confirmed_orders);
  const totalCents = toCount(totals?.revenue_cents);
  const events: EventSales[] = [];
  for (const row of sales) {
    const eventId = toCount(row.event_id);
    if (eventId === 0) continue; // a row without an event id cannot be attributed
    events.push({
      eventId,
      name: row.name ?? `event ${eventId}`,
      ticketsSold: toCount(row.tickets_sold),
      revenueCents: toCount(row.revenue_cents),
    });
  }
  events.sort((a, b) => a.eventId - b.eventId);
  let topEvent: EventSales | null = null;
  for (const e of events) if (e.revenueCents > 0 && (topEvent === null || e.revenueCents > topEvent.revenueCents)) topEvent = e;
  return {
    totalCents,
    orders,
    rejectedOrders: toCount(totals?.rejected_orders),
    ticketsSold: toCount(totals?.tickets_sold),
    averageOrderCents: orders > 0 ? Math.round(totalCents / orders) : null,
    byPath: { sync: toCount(totals?.sync_orders), async: toCount(totals?.async_orders) },
    events,
    topEvent,
    generatedAt: now.toISOString(),
  };
}

export const TOTALS_SQL = `
  SELECT count(*) FILTER (WHERE status = 'CONFIRMED')                    AS confirmed_orders,
         count(*) FILTER (WHERE status = 'REJECTED')                     AS rejected_orders,
         sum(total_cents) FILTER (WHERE status = 'CONFIRMED')            AS revenue_cents,
         sum(quantity) FILTER (WHERE status = 'CONFIRMED')               AS tickets_sold,
         count(*) FILTER (WHERE status = 'CONFIRMED' AND path = 'sync')  AS sync_orders,
         count(*) FILTER (WHERE status = 'CONFIRMED' AND path = 'async') AS async_orders
    FROM orders`;

export const SALES_SQL = `
  SELECT e.id AS event_id, e.name,
         sum(o.quantity) AS tickets_sold,
         sum(o.total_cents) AS revenue_cents
    FROM events e
    LEFT JOIN orders o ON o.event_id = e.id AND o.status = 'CONFIRMED'
   GROUP BY e.id, e.name
   ORDER BY e.id`;
