import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broker } from '../shared/broker.js';
import { Cache } from '../shared/cache.js';
import { loadConfig } from '../shared/config.js';
import { Database } from '../shared/db.js';
import { HealthMonitor } from '../shared/health.js';
import { silentLogger } from '../shared/logger.js';
import { createMetrics } from '../shared/metrics.js';
import { buildApiApp } from './app.js';

/**
 * Request validation through Fastify inject(): no socket, no dependency is
 * contacted (every request here is refused before the handler runs).
 */
let app: FastifyInstance;
let db: Database;
let cache: Cache;

beforeAll(async () => {
  const config = loadConfig('api', {
    DATABASE_URL: 'postgres://u:p@127.0.0.1:1/none',
    REDIS_URL: 'redis://127.0.0.1:1',
    AMQP_URL: 'amqp://127.0.0.1:1',
    NODE_ID: 'api-test',
    LOG_LEVEL: 'silent',
  });
  const metrics = createMetrics('api', 'api-test');
  db = new Database({ url: config.databaseUrl, queryTimeoutMs: 100, breakerResetMs: 1000, log: silentLogger });
  cache = new Cache({ url: config.redisUrl ?? '', log: silentLogger, lazyConnect: true });
  const broker = new Broker({ url: config.amqpUrl ?? '', log: silentLogger });
  const monitor = new HealthMonitor({}, metrics);
  app = await buildApiApp({ config, db, cache, broker, metrics, monitor, log: silentLogger });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  cache.redis.disconnect();
  await db.close();
});

const ok = { eventId: 1, quantity: 2, email: 'ana@example.com' };

const cases: Array<[string, { payload?: string; contentType?: string; headers?: Record<string, string> }, number, string?]> = [
  ['missing eventId', { payload: JSON.stringify({ quantity: 1, email: 'a@b.co' }) }, 400, 'eventId'],
  ['missing quantity', { payload: JSON.stringify({ eventId: 1, email: 'a@b.co' }) }, 400, 'quantity'],
  ['missing email', { payload: JSON.stringify({ eventId: 1, quantity: 1 }) }, 400, 'email'],
  ['eventId as string', { payload: JSON.stringify({ ...ok, eventId: '1' }) }, 400, 'eventId'],
  ['quantity as string', { payload: JSON.stringify({ ...ok, quantity: '2' }) }, 400, 'quantity'],
  ['quantity zero', { payload: JSON.stringify({ ...ok, quantity: 0 }) }, 422, 'quantity'],
  ['quantity negative', { payload: JSON.stringify({ ...ok, quantity: -3 }) }, 422, 'quantity'],
  ['quantity huge', { payload: JSON.stringify({ ...ok, quantity: 1e12 }) }, 422, 'quantity'],
  ['quantity fractional', { payload: JSON.stringify({ ...ok, quantity: 1.5 }) }, 400, 'quantity'],
  ['eventId zero', { payload: JSON.stringify({ ...ok, eventId: 0 }) }, 422, 'eventId'],
  ['eventId beyond int4', { payload: JSON.stringify({ ...ok, eventId: 2 ** 31 }) }, 422, 'eventId'],
  ['email not an email', { payload: JSON.stringify({ ...ok, email: 'nope' }) }, 422, 'email'],
  ['email SQL injection', { payload: JSON.stringify({ ...ok, email: "x'); DROP TABLE orders;--" }) }, 422, 'email'],
  ['email too long', { payload: JSON.stringify({ ...ok, email: `${'a'.repeat(250)}@b.co` }) }, 422, 'email'],
  ['email as number', { payload: JSON.stringify({ ...ok, email: 42 }) }, 400, 'email'],
  ['unknown field', { payload: JSON.stringify({ ...ok, admin: true }) }, 400, 'admin'],
  ['array body', { payload: '[1,2,3]' }, 400],
  ['null body', { payload: 'null' }, 400],
  ['string body', { payload: '"buy"' }, 400],
  ['invalid JSON', { payload: '{"eventId": 1,' }, 400],
  ['empty body', { payload: '' }, 400],
  ['prototype pollution', { payload: '{"eventId":1,"quantity":1,"email":"a@b.co","__proto__":{"admin":true}}' }, 400],
  ['text/plain', { payload: 'eventId=1', contentType: 'text/plain' }, 415],
  ['form encoded', { payload: 'eventId=1&quantity=1', contentType: 'application/x-www-form-urlencoded' }, 415],
  ['oversized body', { payload: JSON.stringify({ ...ok, pad: 'x'.repeat(20_000) }) }, 413],
  ['bad idempotency key', { payload: JSON.stringify(ok), headers: { 'idempotency-key': 'short' } }, 422, 'idempotency-key'],
  ['injection in idempotency key', { payload: JSON.stringify(ok), headers: { 'idempotency-key': "k' OR '1'='1" } }, 422, 'idempotency-key'],
];

describe('POST /purchase refuses malformed input with a 4xx and a message', () => {
  it.each(cases)('%s → %s', async (_name, c, status, field) => {
    const res = await app.inject({
      method: 'POST',
      url: '/purchase',
      payload: c.payload ?? '',
      headers: { 'content-type': c.contentType ?? 'application/json', ...(c.headers ?? {}) },
    });
    expect(res.statusCode).toBe(status);
    const body = res.json<{ error: string; message: string; field?: string }>();
    expect(body.error).toBe('VALIDATION');
    expect(body.message.length).toBeGreaterThan(5);
    if (field) expect(body.field).toBe(field);
    expect(res.headers['x-eventflow-node']).toBe('api-test');
  });

  it('counts refused bodies as purchases{outcome="invalid"}', async () => {
    const text = await (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/eventflow_purchases_total\{outcome="invalid",service="api",node="api-test"\} \d+/);
  });
});

/** One raw HTTP/1.1 request over a real socket (inject() cannot send a header twice); resolves with the status and body. */
async function rawRequest(port: number, head: string[], body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1]);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write([...head, `content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body].join('\r\n'));
  });
}

describe('a repeated Idempotency-Key header over HTTP', () => {
  it('is joined by Node into one value that fails the pattern: 422 naming the header', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const port = Number(new URL(address).port);
    const head = ['POST /purchase HTTP/1.1', 'host: localhost', 'content-type: application/json', 'idempotency-key: abcdefgh-1', 'idempotency-key: abcdefgh-2'];
    const res = await rawRequest(port, head, JSON.stringify(ok));
    expect(res.status).toBe(422);
    const body = JSON.parse(res.body) as { error: string; field?: string; message: string };
    expect(body).toMatchObject({ error: 'VALIDATION', field: 'idempotency-key' });
    // the same request with the header once passes validation (it then fails on the absent dependencies, not with a 4xx)
    const once = await rawRequest(port, head.slice(0, 4), JSON.stringify(ok));
    expect(once.status).not.toBe(422);
    expect(once.status).not.toBe(400);
  });
});

describe('other routes', () => {
  it('validates path parameters', async () => {
    expect((await app.inject({ method: 'GET', url: '/events/abc' })).statusCode).toBe(422);
    expect((await app.inject({ method: 'GET', url: '/events/0' })).statusCode).toBe(422);
    expect((await app.inject({ method: 'GET', url: '/orders/not-a-uuid' })).statusCode).toBe(422);
  });

  it('answers unknown routes with a JSON 404 and the node header', async () => {
    const res = await app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'NOT_FOUND' });
    expect(res.headers['x-eventflow-node']).toBe('api-test');
  });

  it('serves Prometheus text with the contract names', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    for (const name of ['eventflow_http_request_duration_seconds', 'eventflow_purchases_total', 'eventflow_circuit_breaker_state']) {
      expect(res.body).toContain(name);
    }
  });
});
