/**
 * Response schemas for the analytics routes (shapes from docs/architecture.md). Fastify serialises 200 bodies with them,
 * so a field that is not listed here never leaks out, and a missing required
 * field is a serialisation error instead of a silently different contract.
 */
import { errorBody, serviceHealthSchema } from '../shared/schemas.js';

const count = { type: 'integer', minimum: 0 } as const;

export const eventSales = {
  type: 'object',
  properties: { eventId: { type: 'integer' }, name: { type: 'string' }, ticketsSold: count, revenueCents: count },
  required: ['eventId', 'name', 'ticketsSold', 'revenueCents'],
} as const;

export const revenueSchema = {
  response: {
    200: {
      type: 'object',
      properties: { totalCents: count, orders: count, stale: { type: 'boolean' } },
      required: ['totalCents', 'orders', 'stale'],
    },
    503: errorBody,
  },
} as const;

export const salesSchema = {
  response: {
    200: {
      type: 'object',
      properties: { events: { type: 'array', items: eventSales }, stale: { type: 'boolean' } },
      required: ['events', 'stale'],
    },
    503: errorBody,
  },
} as const;

export const summarySchema = {
  response: {
    200: {
      type: 'object',
      properties: {
        totalCents: count,
        orders: count,
        rejectedOrders: count,
        ticketsSold: count,
        averageOrderCents: { type: ['integer', 'null'] },
        byPath: { type: 'object', properties: { sync: count, async: count }, required: ['sync', 'async'] },
        events: { type: 'array', items: eventSales },
        topEvent: { ...eventSales, type: ['object', 'null'] },
        generatedAt: { type: 'string' },
        stale: { type: 'boolean' },
      },
      required: ['totalCents', 'orders', 'rejectedOrders', 'ticketsSold', 'averageOrderCents', 'byPath', 'events', 'topEvent', 'generatedAt', 'stale'],
    },
    503: errorBody,
  },
} as const;

export const analyticsHealthSchema = serviceHealthSchema(['postgres', 'redis'], {
  breaker: { type: 'string', enum: ['closed', 'open', 'half-open'] },
});

