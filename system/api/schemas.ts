/** JSON schemas for the API routes (Fastify/ajv; no coercion, no stripping). */
import { dependencyHealth as dep, errorBody, healthStatus } from '../shared/schemas.js';


const event = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    venue: { type: 'string' },
    startsAt: { type: 'string' },
    unitPriceCents: { type: 'integer' },
    capacity: { type: 'integer' },
    remaining: { type: 'integer' },
  },
  required: ['id', 'name', 'venue', 'startsAt', 'unitPriceCents', 'capacity', 'remaining'],
} as const;

const source = { type: 'string', enum: ['db', 'cache'] } as const;

export const idParam = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,9}$', maxLength: 10 } },
  required: ['id'],
  additionalProperties: false,
} as const;

export const uuidParam = {
  type: 'object',
  properties: { id: { type: 'string', format: 'uuid', maxLength: 36 } },
  required: ['id'],
  additionalProperties: false,
} as const;

export const listEventsSchema = {
  response: {
    200: { type: 'object', properties: { events: { type: 'array', items: event }, source, stale: { type: 'boolean' } }, required: ['events', 'source', 'stale'] },
    503: errorBody,
  },
} as const;

export const getEventSchema = {
  params: idParam,
  response: {
    200: { type: 'object', properties: { event, source, stale: { type: 'boolean' } }, required: ['event', 'source', 'stale'] },
    '4xx': errorBody,
    503: errorBody,
  },
} as const;

export const purchaseBody = {
  type: 'object',
  properties: {
    eventId: { type: 'integer', minimum: 1, maximum: 2147483647 },
    quantity: { type: 'integer', minimum: 1, maximum: 10 },
    email: { type: 'string', format: 'email', minLength: 3, maxLength: 254 },
  },
  required: ['eventId', 'quantity', 'email'],
  additionalProperties: false,
} as const;

const purchaseAnswer = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['CONFIRMED', 'ACCEPTED_ASYNC'] },
    orderId: { type: 'string' },
    eventId: { type: 'integer' },
    quantity: { type: 'integer' },
    totalCents: { type: 'integer' },
    idempotencyKey: { type: 'string' },
  },
  required: ['status', 'orderId', 'eventId', 'quantity', 'totalCents', 'idempotencyKey'],
} as const;

export const purchaseSchema = {
  body: purchaseBody,
  headers: {
    type: 'object',
    properties: { 'idempotency-key': { type: 'string', minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' } },
  },
  response: { 201: purchaseAnswer, 202: purchaseAnswer, '4xx': errorBody, 500: errorBody, 503: errorBody, 504: errorBody },
} as const;

export const orderSchema = {
  params: uuidParam,
  response: {
    200: {
      type: 'object',
      properties: {
        orderId: { type: 'string' },
        status: { type: 'string', enum: ['PENDING', 'CONFIRMED', 'REJECTED'] },
        eventId: { type: 'integer' },
        quantity: { type: 'integer' },
        totalCents: { type: 'integer' },
        reason: { type: 'string' },
      },
      required: ['orderId', 'status', 'eventId', 'quantity', 'totalCents'],
    },
    '4xx': errorBody,
    503: errorBody,
  },
} as const;

export const nodeHealth = {
  type: 'object',
  properties: {
    node: { type: 'string' },
    up: { type: 'boolean' },
    status: { type: 'string' },
    dependencies: { type: 'object', properties: { postgres: dep, redis: dep, rabbitmq: dep } },
    breaker: { type: 'string' },
    pendingOrders: { type: 'integer' },
  },
  required: ['node', 'up'],
} as const;

export const nodeHealthSchema = { response: { 200: nodeHealth } } as const;
export const clusterHealthSchema = {
  response: {
    200: {
      type: 'object',
      properties: { status: healthStatus, node: { type: 'string' }, nodes: { type: 'array', items: nodeHealth } },
      required: ['status', 'node', 'nodes'],
    },
  },
} as const;
