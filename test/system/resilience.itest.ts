/**
 * Dependency failures against real containers (findings of the scenario engine on the full stack):
 * - a pg client checked out for a transaction when PostgreSQL dies must not crash the process;
 * - a sync transaction that ran past its deadline is rolled back (server side), never committed later;
 * - with the broker down and the DB up a purchase is 201, even when the first sync attempt was slow;
 * - RabbitMQ / Redis / PostgreSQL come back → the node (and notifier) reconnect within seconds, no restart;
 * - a frozen PostgreSQL (connections accepted, nothing answered) costs what a dead one costs after the first
 *   few requests: the breaker opens on unanswered calls and stays open, its trials are not user requests.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../system/api/app.js';
import { Database, HANG_TRIP_FAILURES } from '../../system/shared/db.js';
import { silentLogger } from '../../system/shared/logger.js';
import type { RunningNotifier } from '../../system/notifier/worker.js';
import { startInfra, type Infra } from '../support/infra.js';
import { median, sleep, sql, startApi, startNotifier, until, untilNoOpenTransaction, untilSleepingInPostgres } from './helpers.js';

let infra: Infra;
let api: RunningService;
let notifier: RunningNotifier | undefined;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown): void => {
  uncaught.push(err);
};

interface NodeHealth {
  status: string;
  breaker: string;
  dependencies: Record<'postgres' | 'redis' | 'rabbitmq', { up: boolean }>;
}
const health = async (): Promise<NodeHealth> => (await api.app.inject({ url: '/health/node' })).json<NodeHealth>();

const purchase = (key: string, eventId = 1) =>
  api.app.inject({ method: 'POST', url: '/purchase', payload: { eventId, quantity: 1, email: 'r@example.com' }, headers: { 'idempotency-key': key } });

const orderRows = (key: string) =>
  sql<{ id: string; status: string; path: string }>(infra, 'SELECT id, status, path FROM orders WHERE idempotency_key = $1', [key]);

/**
 * Make the sync purchase transaction slow although every statement stays under the 1 s query timeout:
 * 3 × 0.75 s in triggers (UPDATE events, INSERT orders, INSERT notifications) = 2.25 s > the 2 s transaction
 * deadline. `firings` bounds how many times each trigger sleeps (a sequence: not rolled back with the transaction).
 */
async function slowTransactions(firings: number): Promise<void> {
  await sql(
    infra,
    `DROP SEQUENCE IF EXISTS itest_slow_seq; CREATE SEQUENCE itest_slow_seq;
     CREATE OR REPLACE FUNCTION itest_slow() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF nextval('itest_slow_seq') <= ${3 * firings} THEN PERFORM pg_sleep(0.75); END IF;
       RETURN NEW;
     END $$;
     CREATE TRIGGER itest_slow_events BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION itest_slow();
     CREATE TRIGGER itest_slow_orders BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION itest_slow();
     CREATE TRIGGER itest_slow_notifications BEFORE INSERT ON notifications FOR EACH ROW EXECUTE FUNCTION itest_slow();`,
  );
}
async function fastTransactions(): Promise<void> {
  await sql(
    infra,
    `DROP TRIGGER IF EXISTS itest_slow_events ON events; DROP TRIGGER IF EXISTS itest_slow_orders ON orders;
     DROP TRIGGER IF EXISTS itest_slow_notifications ON notifications; DROP FUNCTION IF EXISTS itest_slow();
     DROP SEQUENCE IF EXISTS itest_slow_seq;`,
  );
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  infra = await startInfra({ label: 'resilience-itest' });
  api = await startApi(infra, 'api-1');
  await until('schema and seed', async () => (await sql(infra, 'SELECT id FROM events')).length === 4);
  await until('catalogue warm', async () => (await api.app.inject({ url: '/events' })).statusCode === 200);
  await until('node healthy', async () => (await health()).status === 'ok', 30_000);
});

afterAll(async () => {
  await Promise.allSettled([api?.close(), notifier?.close()]);
  await infra?.close();
  process.removeListener('uncaughtException', onUncaught);
});

afterEach(() => {
  // no dependency failure may surface as an uncaught exception (an unhandled 'error' event would kill a node)
  expect(uncaught.map(String)).toEqual([]);
});

describe('timeouts are enforced by PostgreSQL too', () => {
  it('pooled sessions carry statement_timeout and idle_in_transaction_session_timeout', async () => {
    const r = await api.db.run((pool) =>
      pool.query<{ st: string; it: string }>("SELECT current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS it"),
    );
    expect(r.rows[0]).toEqual({ st: '1s', it: '5s' });
  });

  it('a transaction past its deadline is rolled back and never commits later', async () => {
    const db = new Database({ url: infra.databaseUrl, queryTimeoutMs: 1000, breakerResetMs: 1000, log: silentLogger });
    try {
      await sql(infra, 'CREATE TABLE IF NOT EXISTS itest_marks (k text PRIMARY KEY)');
      const k = randomUUID();
      const started = Date.now();
      // every statement is under the 1 s query timeout; together they exceed the 2 s transaction deadline
      const res = await db
        .tx(async (c) => {
          for (let i = 0; i < 3; i++) await c.query('SELECT pg_sleep(0.8)');
          await c.query('INSERT INTO itest_marks (k) VALUES ($1)', [k]);
        })
        .then(
          () => 'committed',
          (err: unknown) => `failed: ${String(err)}`,
        );
      expect(res).toMatch(/^failed: .*timed out/i);
      expect(Date.now() - started).toBeLessThan(3500);
      await untilNoOpenTransaction(infra); // the abandoned work is over on the server: it can no longer commit
      expect(await sql(infra, 'SELECT k FROM itest_marks WHERE k = $1', [k])).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('a purchase whose sync transaction timed out goes async (202) and results in exactly one order, the async one', async () => {
    const key = `slow-${randomUUID()}`;
    await slowTransactions(1000);
    let r;
    try {
      r = await purchase(key);
      expect(r.statusCode).toBe(202);
      // the "timed out" sync transaction must not commit behind the api's back after the 202
      await untilNoOpenTransaction(infra);
      expect(await orderRows(key)).toEqual([]);
    } finally {
      await fastTransactions();
    }
    notifier = await startNotifier(infra);
    await until('persisted by the notifier', async () => (await orderRows(key)).length === 1, 30_000);
    expect(await orderRows(key)).toEqual([{ id: r.json<{ orderId: string }>().orderId, status: 'CONFIRMED', path: 'async' }]);
  });
});

describe('broker down, database up', () => {
  it('purchases are 201 CONFIRMED promptly, also when the first sync attempt timed out; one order each', async () => {
    await infra.stop('rabbitmq');
    await until('api sees the broker down', async () => !(await health()).dependencies.rabbitmq.up, 15_000);
    for (let i = 0; i < 3; i++) {
      const key = `nobroker-${randomUUID()}`;
      const started = Date.now();
      const r = await purchase(key);
      expect(r.statusCode, r.body).toBe(201);
      expect(Date.now() - started).toBeLessThan(1500);
      expect(await orderRows(key)).toHaveLength(1);
    }
    // the first sync attempt runs past its deadline (host load): nowhere to queue it, so it is retried, not 503
    const key = `nobroker-slow-${randomUUID()}`;
    await slowTransactions(1);
    let r;
    try {
      r = await purchase(key);
    } finally {
      await fastTransactions();
    }
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({ status: 'CONFIRMED', idempotencyKey: key });
    await untilNoOpenTransaction(infra); // the timed-out first attempt is over: it can no longer commit a second row
    expect(await orderRows(key)).toEqual([{ id: r.json<{ orderId: string }>().orderId, status: 'CONFIRMED', path: 'sync' }]);
  });

  it('RabbitMQ back → api and notifier reconnect within seconds, no restart', async () => {
    await infra.start('rabbitmq'); // returns once the broker accepts work
    const back = Date.now();
    await until('api reconnected', async () => api.app.inject({ url: '/health/node' }).then((r) => r.json<NodeHealth>().dependencies.rabbitmq.up), 10_000);
    await until('notifier consuming', async () => notifier?.notifier.consuming === true, 10_000);
    expect(Date.now() - back).toBeLessThan(10_000);
    await until('node healthy', async () => (await health()).status === 'ok', 5_000);
  });
});

describe('Redis and PostgreSQL outages', () => {
  it('Redis stop/start → the node reconnects within seconds', async () => {
    await infra.stop('redis');
    await until('api sees Redis down', async () => !(await health()).dependencies.redis.up, 10_000);
    expect((await purchase(`noredis-${randomUUID()}`)).statusCode).toBe(201);
    await infra.start('redis');
    const back = Date.now();
    await until('Redis up again', async () => (await health()).dependencies.redis.up, 10_000);
    expect(Date.now() - back).toBeLessThan(10_000);
  });

  it('PostgreSQL killed mid-transaction: the node survives (no unhandled client error) and recovers within seconds', async () => {
    // a transaction holds a checked-out client while the server dies
    const inflight = api.db.tx(async (c) => c.query('SELECT pg_sleep(0.9)')).then(
      () => 'ok',
      (err: unknown) => String(err),
    );
    await untilSleepingInPostgres(infra);
    await infra.stop('postgres');
    expect(await inflight).not.toBe('ok');
    // a few purchases during the outage open the breaker (broker up: they go async)
    for (let i = 0; i < 3; i++) expect([202, 503]).toContain((await purchase(`nodb-${randomUUID()}`)).statusCode);
    await infra.start('postgres');
    const back = Date.now();
    // no user traffic: the node closes its breaker by itself once the probe sees PostgreSQL again
    await until('node healthy again', async () => (await health()).status === 'ok', 10_000);
    expect(Date.now() - back).toBeLessThan(10_000);
    const key = `dbback-${randomUUID()}`;
    expect((await purchase(key)).statusCode).toBe(201);
    expect(await orderRows(key)).toHaveLength(1);
  });
});

describe('PostgreSQL frozen (hangs without answering)', () => {
  it('costs what a dead one costs after the first few purchases: breaker open while frozen, no user request pays a trial', async () => {
    await until('node healthy', async () => (await health()).status === 'ok', 15_000);
    await infra.pause('postgres');
    const latencies: number[] = [];
    const breakerStates = new Set<string>();
    try {
      // paced purchases for 6 s of freeze: long enough for several half-open periods (BREAKER_RESET_MS = 1 s)
      const until6s = Date.now() + 6000;
      for (let i = 0; i < 200 && Date.now() < until6s; i++) {
        const started = performance.now();
        const r = await purchase(`frozen-${randomUUID()}`);
        latencies.push(performance.now() - started);
        expect(r.statusCode, r.body).toBe(202);
        if (latencies.length > HANG_TRIP_FAILURES) breakerStates.add((await health()).breaker);
        await sleep(100);
      }
    } finally {
      await infra.unpause('postgres');
    }
    // the purchases that found out paid the 1 s timeout; none after them (a user request as half-open trial would)
    const paidTimeout = latencies.filter((ms) => ms >= 800);
    expect(paidTimeout.length, `latencies: ${latencies.map(Math.round).join(', ')}`).toBeLessThanOrEqual(HANG_TRIP_FAILURES);
    expect(latencies.length).toBeGreaterThan(10);
    expect(median(latencies.slice(HANG_TRIP_FAILURES))).toBeLessThan(100);
    expect([...breakerStates].filter((s) => s === 'closed')).toEqual([]);
    // thawed: the breaker's own trial closes it without user traffic, and purchases are synchronous again
    await until('node healthy after the freeze', async () => (await health()).status === 'ok', 10_000);
    const key = `thawed-${randomUUID()}`;
    expect((await purchase(key)).statusCode).toBe(201);
    expect(await orderRows(key)).toHaveLength(1);
  });
});
