import { describe, expect, it } from 'vitest';
import { buildSnapshot, toCount, type SalesRow, type TotalsRow } from './aggregate.js';

const now = new Date('2026-01-01T00:00:00Z');

describe('analytics aggregation', () => {
  it('is all zeros (not NaN, not null totals) with no data at all', () => {
    const s = buildSnapshot(undefined, [], now);
    expect(s).toEqual({
      totalCents: 0,
      orders: 0,
      rejectedOrders: 0,
      ticketsSold: 0,
      averageOrderCents: null,
      byPath: { sync: 0, async: 0 },
      events: [],
      topEvent: null,
      generatedAt: '2026-01-01T00:00:00.000Z',
    });
  });

  it('treats SQL NULL sums (events without orders) as zero', () => {
    const totals: TotalsRow = { confirmed_orders: '0', rejected_orders: '0', revenue_cents: null, tickets_sold: null, sync_orders: '0', async_orders: null };
    const sales: SalesRow[] = [
      { event_id: 1, name: 'A', tickets_sold: null, revenue_cents: null },
      { event_id: 2, name: null, tickets_sold: null, revenue_cents: null },
    ];
    const s = buildSnapshot(totals, sales, now);
    expect(s.totalCents).toBe(0);
    expect(s.events).toEqual([
      { eventId: 1, name: 'A', ticketsSold: 0, revenueCents: 0 },
      { eventId: 2, name: 'event 2', ticketsSold: 0, revenueCents: 0 },
    ]);
    expect(s.topEvent).toBeNull();
    expect(s.averageOrderCents).toBeNull();
  });

  it('parses bigint strings from PostgreSQL and aggregates', () => {
    const totals: TotalsRow = { confirmed_orders: '3', rejected_orders: '1', revenue_cents: '30000', tickets_sold: '7', sync_orders: '2', async_orders: '1' };
    const sales: SalesRow[] = [
      { event_id: 2, name: 'B', tickets_sold: '2', revenue_cents: '20000' },
      { event_id: '1', name: 'A', tickets_sold: '5', revenue_cents: '10000' },
      { event_id: null, name: 'orphan', tickets_sold: '9', revenue_cents: '9' },
    ];
    const s = buildSnapshot(totals, sales, now);
    expect(s.orders).toBe(3);
    expect(s.totalCents).toBe(30000);
    expect(s.averageOrderCents).toBe(10000);
    expect(s.byPath).toEqual({ sync: 2, async: 1 });
    expect(s.events.map((e) => e.eventId)).toEqual([1, 2]);
    expect(s.topEvent?.eventId).toBe(2);
  });

  it('toCount never yields NaN or negatives', () => {
    expect([null, undefined, 'abc', Number.NaN, -5, {}, '12', 12.9, 10n].map(toCount)).toEqual([0, 0, 0, 0, 0, 0, 12, 12, 10]);
  });
});
