/**
 * Reads and the rest of the node's surface against real containers:
 * cache-aside (Redis down → PostgreSQL, PostgreSQL down → stale cache, both → 503; one timed-out Redis read
 * is not "Redis down"),
 * reconnection without restart, orders read while the DB is down, the cluster
 * /health view over PEERS, metrics, and analytics (empty, with data, stale snapshot).
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../system/api/app.js';
import { startInfra, type Infra } from '../support/infra.js';
import { sql, startAnalytics, startApi, startNotifier, until } from './helpers.js';
import type { RunningNotifier } from '../../system/notifier/worker.js';

let infra: Infra;
let api1: RunningService;
let api2: RunningService;
let notifier: RunningNotifier;
let analytics: Awaited<ReturnType<typeof startAnalytics>>;

interface Listing {
  events: Array<{ id: number; remaining: number; unitPriceCents: number }>;
  source: 'db' | 'cache';
  stale: boolean;
}

const get = async (svc: { app: RunningService['app'] }, url: string) => svc.app.inject({ method: 'GET', url });

beforeAll(async () => {
  infra = await startInfra({ label: 'reads-itest' });
  analytics = await startAnalytics(infra);
  api2 = await startApi(infra, 'api-2');
  const addr2 = await api2.app.listen({ host: '127.0.0.1', port: 0 });
  // api-1's peers: itself is skipped by node id, api-2 answers, 127.0.0.1:1 never does
  api1 = await startApi(infra, 'api-1', { PEERS: `${new URL(addr2).host},127.0.0.1:1` });
  notifier = await startNotifier(infra);
  await until('seed', async () => (await sql(infra, 'SELECT id FROM events')).length === 4);
});

afterAll(async () => {
  await Promise.allSettled([api1?.close(), api2?.close(), notifier?.close(), analytics?.close()]);
  await infra?.close();
});

describe('analytics with no orders yet', () => {
  it('answers zeros and empty sales, not nulls or errors', async () => {
    // the first snapshot needs the schema and a first connection (slow on a loaded CI box)
    const revenue = await until('first snapshot', async () => {
      const r = await get(analytics, '/revenue');
      return r.statusCode === 200 ? r : undefined;
    }, 20_000, 250);
    expect(revenue.json()).toEqual({ totalCents: 0, orders: 0, stale: false });
    const sales = (await get(analytics, '/sales')).json<{ events: Array<{ ticketsSold: number; revenueCents: number }> }>();
    expect(sales.events).toHaveLength(4);
    for (const e of sales.events) expect(e).toMatchObject({ ticketsSold: 0, revenueCents: 0 });
    const summary = (await get(analytics, '/summary')).json<{ averageOrderCents: number | null; topEvent: unknown }>();
    expect(summary.averageOrderCents).toBeNull();
    expect(summary.topEvent).toBeNull();
  });
});

describe('catalogue reads', () => {
  it('cache-aside: first from PostgreSQL, then from Redis', async () => {
    await until('read from db', async () => (await get(api1, '/events')).json<Listing>().source === 'db', 10_000, 2100);
    const second = (await get(api1, '/events')).json<Listing>();
    expect(second).toMatchObject({ source: 'cache', stale: false });
    expect(second.events.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    const one = await get(api1, '/events/2');
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ event: { id: 2, name: 'Chaos Engineering Summit' }, stale: false });
    expect((await get(api1, '/events/99')).statusCode).toBe(404);
    const metrics = (await get(api1, '/metrics')).body;
    expect(metrics).toMatch(/eventflow_cache_requests_total\{result="hit"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/eventflow_cache_requests_total\{result="miss"[^}]*\} [1-9]/);
  });

  it('Redis down → reads and purchases go to PostgreSQL directly', async () => {
    await infra.stop('redis');
    try {
      const r = await get(api1, '/events');
      expect(r.statusCode).toBe(200);
      expect(r.json<Listing>()).toMatchObject({ source: 'db', stale: false });
      const p = await api1.app.inject({ method: 'POST', url: '/purchase', payload: { eventId: 3, quantity: 1, email: 'r@example.com' } });
      expect(p.statusCode, p.body).toBe(201);
      await until('health shows redis down', async () => {
        const h = (await get(api1, '/health/node')).json<{ status: string; dependencies: { redis: { up: boolean } } }>();
        return h.status === 'degraded' && !h.dependencies.redis.up;
      });
      expect((await get(api1, '/metrics')).body).toMatch(/eventflow_dependency_up\{dependency="redis"[^}]*\} 0/);
    } finally {
      await infra.start('redis');
    }
    // reconnects by itself: cache hits again without restarting the node
    await until('cache hits again', async () => {
      await get(api1, '/events');
      return (await get(api1, '/events')).json<Listing>().source === 'cache';
    }, 30_000, 300);
  });

  it('PostgreSQL down → stale catalogue from the cache; orders readable; both down → 503', async () => {
    // an order accepted during the outage: PENDING readable from the node's record
    await infra.stop('postgres');
    try {
      const fresh = await until('stale read', async () => {
        const r = await get(api1, '/events');
        return r.statusCode === 200 && r.json<Listing>().stale ? r.json<Listing>() : undefined;
      }, 10_000, 500);
      expect(fresh.source).toBe('cache');
      expect(fresh.events).toHaveLength(4);
      const single = await get(api2, '/events/1');
      expect(single.statusCode).toBe(200);
      expect(single.json()).toMatchObject({ event: { id: 1 }, source: 'cache' });

      const p = await api1.app.inject({ method: 'POST', url: '/purchase', payload: { eventId: 2, quantity: 2, email: 'o@example.com' } });
      expect(p.statusCode).toBe(202);
      const orderId = p.json<{ orderId: string }>().orderId;
      expect((await get(api2, `/orders/${orderId}`)).json()).toMatchObject({ status: 'PENDING', eventId: 2, quantity: 2 });
      // an order nobody knows while the DB is down: not a false 404
      expect((await get(api1, `/orders/${randomUUID()}`)).statusCode).toBe(503);

      await infra.stop('redis');
      const both = await get(api1, '/events');
      expect(both.statusCode).toBe(503);
      expect(both.json()).toMatchObject({ error: 'UNAVAILABLE' });
      expect((await get(api1, '/events/1')).statusCode).toBe(503);
      // this node still remembers its own pending order
      expect((await get(api1, `/orders/${orderId}`)).json()).toMatchObject({ status: 'PENDING' });
    } finally {
      await infra.start('redis');
      await infra.start('postgres');
    }
    await until('fresh reads from the database again', async () => {
      const r = await get(api1, '/events');
      return r.statusCode === 200 && !r.json<Listing>().stale;
    }, 30_000, 300);
  });

  it('PostgreSQL down and one Redis read timed out (a lost packet, a stalled host) → the stale copy, not 503', async () => {
    const redis = new Redis(infra.redisUrl, { maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    await infra.stop('postgres');
    try {
      // the fresh copy has expired (2 s TTL): reads are stale now
      await until('stale read', async () => {
        const r = await get(api1, '/events');
        return r.statusCode === 200 && r.json<Listing>().stale;
      }, 10_000, 500);
      // Redis stops answering for 450 ms: the fresh read times out (300 ms command timeout), the read of the last
      // copy after the database failed is answered once the pause is over
      await redis.call('CLIENT', 'PAUSE', '450', 'ALL');
      const r = await get(api1, '/events');
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json<Listing>()).toMatchObject({ source: 'cache', stale: true });
      await redis.call('CLIENT', 'PAUSE', '450', 'ALL');
      const one = await get(api1, '/events/3');
      expect(one.statusCode, one.body).toBe(200);
      expect(one.json()).toMatchObject({ event: { id: 3 }, stale: true });
    } finally {
      redis.disconnect();
      await infra.start('postgres');
    }
  });

  it('unknown order ids are 404 when the database answers', async () => {
    await until('db answering', async () => (await get(api1, `/orders/${randomUUID()}`)).statusCode === 404, 20_000, 300);
  });
});

describe('cluster health and metrics', () => {
  it('GET /health lists every node; a silent peer is up:false and the cluster degraded', async () => {
    const h = await get(api1, '/health');
    expect(h.statusCode).toBe(200);
    expect(h.headers['x-eventflow-node']).toBe('api-1');
    const body = h.json<{ status: string; node: string; nodes: Array<{ node: string; up: boolean; dependencies?: unknown }> }>();
    expect(body.node).toBe('api-1');
    expect(body.nodes.map((n) => [n.node, n.up])).toEqual([
      ['api-1', true],
      ['api-2', true],
      ['127.0.0.1', false],
    ]);
    expect(body.status).toBe('degraded');
    const node = (await get(api2, '/health/node')).json<{ dependencies: Record<string, { up: boolean; latencyMs: number }>; breaker: string }>();
    expect(Object.keys(node.dependencies).sort()).toEqual(['postgres', 'rabbitmq', 'redis']);
    expect(node.breaker).toMatch(/closed|half-open|open/);
  });

  it('exposes the contract metrics with service and node labels', async () => {
    const text = (await get(api1, '/metrics')).body;
    for (const re of [
      /eventflow_http_request_duration_seconds_bucket\{[^}]*method="GET",route="\/events"[^}]*status_code="200"/,
      /eventflow_purchases_total\{outcome="confirmed",service="api",node="api-1"\}/,
      /eventflow_purchases_total\{outcome="accepted_async",service="api",node="api-1"\}/,
      /eventflow_dependency_up\{dependency="postgres",service="api",node="api-1"\}/,
      /eventflow_circuit_breaker_state\{dependency="postgres",service="api",node="api-1"\}/,
    ]) {
      expect(text).toMatch(re);
    }
    await until('notifier counted the queued order', async () =>
      /eventflow_notifier_messages_total\{result="(confirmed|duplicate)",service="notifier",node="notifier"\} [1-9]/.test(
        (await notifier.app.inject({ url: '/metrics' })).body,
      ), 60_000, 250);
    expect((await notifier.app.inject({ url: '/health' })).json()).toMatchObject({ node: 'notifier', up: true });
  });
});

describe('analytics', () => {
  it('counts confirmed orders, and serves the last snapshot (stale) while the DB is down', async () => {
    await until('async order persisted', async () => (await sql(infra, "SELECT 1 FROM orders WHERE path = 'async'")).length === 1, 60_000);
    const db = await sql<{ total: string; n: string }>(infra, "SELECT sum(total_cents) AS total, count(*) AS n FROM orders WHERE status = 'CONFIRMED'");
    const fresh = await until('fresh revenue', async () => {
      const r = (await get(analytics, '/revenue')).json<{ totalCents: number; orders: number; stale: boolean }>();
      return r.orders === Number(db[0]?.n) ? r : undefined;
    }, 10_000, 300);
    expect(fresh).toEqual({ totalCents: Number(db[0]?.total), orders: 2, stale: false });
    const sales = (await get(analytics, '/sales')).json<{ events: Array<{ eventId: number; ticketsSold: number }> }>();
    expect(sales.events.find((e) => e.eventId === 2)?.ticketsSold).toBe(2);
    expect(sales.events.find((e) => e.eventId === 3)?.ticketsSold).toBe(1);

    await infra.stop('postgres');
    try {
      // once past the snapshot's freshness window (1 s) with the database gone, the last snapshot is served as stale
      const stale = await until('analytics serves its last snapshot as stale', async () => {
        const r = await get(analytics, '/revenue');
        return r.statusCode === 200 && r.json<{ stale: boolean }>().stale ? r : undefined;
      }, 10_000, 100);
      expect(stale.json()).toEqual({ ...fresh, stale: true });
      expect((await get(analytics, '/summary')).json()).toMatchObject({ orders: 2, stale: true });
      expect((await get(analytics, '/metrics')).body).toMatch(/eventflow_analytics_snapshot_age_seconds\{[^}]*\} [0-9.]+/);
    } finally {
      await infra.start('postgres');
    }
  });
});
