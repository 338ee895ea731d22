/**
 * The purchase contract's promises under the faults found by reading the code (issue 9, suspects 1–4),
 * against real PostgreSQL, Redis and RabbitMQ containers:
 *  1. a keyless POST retried by the gateway (same X-Request-Id on two nodes) is one order, not two;
 *  2. one Idempotency-Key gets one orderId from every node, whatever is down, and the row has that id;
 *  3. a signed 503 means nothing was stored: an answer the api cannot vouch for is not a 503 (the broker
 *     frozen during the publish; PostgreSQL frozen with the purchase statement in its socket, found by explore);
 *  4. an acknowledged purchase is never dead-lettered by a database error that is not about the message
 *     (permission revoked), and dead letters can be listed and replayed.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningService } from '../../system/api/app.js';
import { listDeadLetters, replayDeadLetters } from '../../system/shared/dead-letters.js';
import { DEAD_QUEUE, encodeMessage, MAX_ATTEMPTS, QUEUE, retryDelayMs } from '../../system/shared/message.js';
import type { RunningNotifier } from '../../system/notifier/worker.js';
import { startInfra, type Infra } from '../support/infra.js';
import { amqpChannel, sql, startApi, startNotifier, until } from './helpers.js';

let infra: Infra;
let api1: RunningService;
let api2: RunningService;
let notifier: RunningNotifier | undefined;

interface Answer {
  status: string;
  orderId: string;
  idempotencyKey: string;
}

const body = (email: string, eventId = 3) => ({ eventId, quantity: 1, email });

function post(api: RunningService, payload: object, headers: Record<string, string> = {}) {
  return api.app.inject({ method: 'POST', url: '/purchase', payload, headers });
}

const rowsByKey = (key: string) =>
  sql<{ id: string; status: string }>(infra, 'SELECT id, status FROM orders WHERE idempotency_key = $1', [key]);

async function deadLetterIds(): Promise<string[]> {
  const r = await fetch(`${infra.managementUrl}/api/queues/%2F/${encodeURIComponent(DEAD_QUEUE)}/get`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${infra.rabbitUser}:${infra.rabbitPassword}`).toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ count: 1000, ackmode: 'ack_requeue_true', encoding: 'auto' }),
  });
  const messages = (await r.json()) as Array<{ properties: { message_id?: string } }>;
  return messages.map((m) => m.properties.message_id ?? '');
}

async function warm(api: RunningService): Promise<void> {
  await until('catalogue warm', async () => (await api.app.inject({ url: '/events' })).statusCode === 200);
}

beforeAll(async () => {
  infra = await startInfra({ label: 'promises-itest' });
  api1 = await startApi(infra, 'api-1');
  api2 = await startApi(infra, 'api-2');
  notifier = await startNotifier(infra);
  await until('schema and seed', async () => (await sql(infra, 'SELECT id FROM events')).length === 4);
  await warm(api1);
  await warm(api2);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([api1?.close(), api2?.close(), notifier?.close()]);
  await infra?.close();
});

describe('suspect 1: a keyless POST retried by the gateway', () => {
  it('the same X-Request-Id on two nodes is one order with one id', async () => {
    const email = `rid-${randomUUID()}@example.com`;
    const rid = randomUUID().replace(/-/g, '');
    const a = await post(api1, body(email), { 'x-request-id': rid });
    const b = await post(api2, body(email), { 'x-request-id': rid });
    // 201, or 202 when a loaded host makes the sync path time out: either way one order, one id
    expect([201, 202], a.body).toContain(a.statusCode);
    expect([201, 202], b.body).toContain(b.statusCode);
    expect(b.json<Answer>().orderId).toBe(a.json<Answer>().orderId);
    const persisted = () => sql<{ id: string }>(infra, 'SELECT id FROM orders WHERE buyer_email = $1', [email]);
    await until('the order persisted', async () => (await persisted()).length > 0);
    expect((await persisted()).map((r) => r.id)).toEqual([a.json<Answer>().orderId]);
  });

  it('without Idempotency-Key or X-Request-Id, two requests are two orders (a key is generated per request)', async () => {
    const email = `keyless-${randomUUID()}@example.com`;
    const a = await post(api1, body(email));
    const b = await post(api2, body(email));
    expect([201, 202]).toContain(a.statusCode);
    expect([201, 202]).toContain(b.statusCode);
    expect(a.json<Answer>().orderId).not.toBe(b.json<Answer>().orderId);
    await until('both orders persisted', async () => (await sql(infra, 'SELECT id FROM orders WHERE buyer_email = $1', [email])).length >= 2);
    expect(await sql(infra, 'SELECT id FROM orders WHERE buyer_email = $1', [email])).toHaveLength(2);
  });
});

describe('suspect 2: same key, same order id from every node', () => {
  it('PostgreSQL stopped, then Redis paused: every node answers the id the row gets; a key committed before the outage keeps its id', async () => {
    const committedKey = `s2-committed-${randomUUID()}`;
    const committed = await post(api1, body('s2c@example.com'), { 'idempotency-key': committedKey });
    expect(committed.statusCode, committed.body).toBe(201);

    const key = `s2-${randomUUID()}`;
    await infra.stop('postgres');
    let a, b, again, replayCommitted;
    try {
      a = await post(api1, body('s2@example.com'), { 'idempotency-key': key });
      expect(a.statusCode, a.body).toBe(202);
      await infra.pause('redis');
      try {
        b = await post(api2, body('s2@example.com'), { 'idempotency-key': key });
        replayCommitted = await post(api2, body('s2c@example.com'), { 'idempotency-key': committedKey });
      } finally {
        await infra.unpause('redis');
      }
      again = await post(api1, body('s2@example.com'), { 'idempotency-key': key });
    } finally {
      await infra.start('postgres');
    }
    const id = a.json<Answer>().orderId;
    expect(b.statusCode, b.body).toBe(202);
    expect(b.json<Answer>().orderId, 'node 2 answered another order id for the same key').toBe(id);
    expect(again.json<Answer>().orderId).toBe(id);
    expect([201, 202]).toContain(replayCommitted.statusCode);
    expect(replayCommitted.json<Answer>().orderId, 'a committed key replayed during the outage').toBe(committed.json<Answer>().orderId);

    const rows = await until('the async order persisted', async () => {
      const r = await rowsByKey(key);
      return r.length === 1 ? r : undefined;
    }, 60_000, 200);
    expect(rows[0]?.id, 'the row must carry the id every acknowledgment gave').toBe(id);
    expect((await rowsByKey(committedKey)).map((r) => r.id)).toEqual([committed.json<Answer>().orderId]);
  });
});

describe('suspect 3: a signed 503 means nothing was stored', () => {
  it('broker frozen during the publish (no confirm): the answer does not claim nothing was stored, and the order is the key\'s', async () => {
    const key = `s3-${randomUUID()}`;
    await infra.stop('postgres');
    let res;
    try {
      await until('api sees PostgreSQL down', async () => {
        const h = (await api1.app.inject({ url: '/health/node' })).json<{ dependencies: { postgres: { up: boolean } } }>();
        return !h.dependencies.postgres.up;
      }, 15_000);
      await infra.pause('rabbitmq');
      try {
        res = await post(api1, body('s3@example.com'), { 'idempotency-key': key });
      } finally {
        await infra.unpause('rabbitmq');
      }
    } finally {
      await infra.start('postgres');
    }
    // the message reached the broker's socket before the confirm timed out: once thawed, the broker stores it
    const rows = await until('the order the broker kept is persisted', async () => {
      const r = await rowsByKey(key);
      return r.length === 1 ? r : undefined;
    }, 60_000, 200);
    expect(res.statusCode, `a signed 503 says nothing was stored, yet order ${rows[0]?.id} exists: ${res.body}`).not.toBe(503);
    expect(res.statusCode, res.body).toBe(504);
    expect(res.json<{ error: string }>().error).toBe('OUTCOME_UNKNOWN');
    // a retry with the same key answers the stored order
    const retry = await post(api2, body('s3@example.com'), { 'idempotency-key': key });
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json<Answer>().orderId).toBe(rows[0]?.id);
  });
});

describe('found by explore (seed 2035001026: pause postgres, kill rabbitmq): a 503 for a statement PostgreSQL may still commit', () => {
  it('PostgreSQL frozen with the purchase statement in flight, broker down: the answer is 504 OUTCOME_UNKNOWN, and the order committed after the thaw is the key\'s', async () => {
    const key = `frozen-${randomUUID()}`;
    await infra.stop('rabbitmq');
    let res;
    try {
      await until('api sees the broker down', async () => {
        const h = (await api1.app.inject({ url: '/health/node' })).json<{ dependencies: { rabbitmq: { up: boolean } } }>();
        return !h.dependencies.rabbitmq.up;
      }, 15_000);
      await warm(api1);
      // a purchase just before the freeze: the node's pool holds an established connection (a statement sent on
      // it reaches PostgreSQL's socket; a new connection to a frozen database would fail before sending anything)
      const before = await post(api1, body('frozen@example.com'), { 'idempotency-key': `${key}-before` });
      expect(before.statusCode, before.body).toBe(201);
      await infra.pause('postgres');
      try {
        res = await post(api1, body('frozen@example.com'), { 'idempotency-key': key });
      } finally {
        await infra.unpause('postgres');
      }
    } finally {
      await infra.start('rabbitmq');
    }
    // the statement was in PostgreSQL's socket when it froze: thawed, it runs and commits by itself
    const rows = await until('the statement PostgreSQL received is committed', async () => {
      const r = await rowsByKey(key);
      return r.length === 1 ? r : undefined;
    }, 30_000, 200).catch((e: Error) => {
      throw new Error(`${e.message} (the answer was ${res?.statusCode} ${res?.body})`);
    });
    expect(res.statusCode, `a 503 says nothing was stored, yet order ${rows[0]?.id} exists: ${res.body}`).not.toBe(503);
    expect(res.statusCode, res.body).toBe(504);
    expect(res.json<{ error: string }>().error).toBe('OUTCOME_UNKNOWN');
    const retry = await post(api2, body('frozen@example.com'), { 'idempotency-key': key });
    expect([200, 201], retry.body).toContain(retry.statusCode);
    expect(retry.json<Answer>().orderId).toBe(rows[0]?.id);
  });
});

describe('suspect 4: acknowledged purchases are never dropped', () => {
  const role = `itest_limited_${randomUUID().slice(0, 8)}`;
  const password = randomUUID();
  let limitedApi: RunningService | undefined;
  let limitedNotifier: RunningNotifier | undefined;

  let revoked = false;

  afterEach(async () => {
    // whatever the outcome, the next test starts with the privilege back
    if (revoked) await sql(infra, `GRANT INSERT ON orders TO ${role}`);
    revoked = false;
  });

  afterAll(async () => {
    await Promise.allSettled([limitedApi?.close(), limitedNotifier?.close()]);
  });

  it('INSERT on orders revoked from the services\' role: the acknowledged order is kept through a whole retry schedule (not dead-lettered) and persists once granted', async () => {
    await sql(infra, `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await sql(infra, `GRANT USAGE, CREATE ON SCHEMA public TO ${role}`);
    await sql(infra, `GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await sql(infra, `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    const url = new URL(infra.databaseUrl);
    url.username = role;
    url.password = password;
    // only the limited services consume from now on
    await notifier?.close();
    notifier = undefined;
    limitedApi = await startApi(infra, 'api-limited', { DATABASE_URL: url.toString() });
    limitedNotifier = await startNotifier(infra, undefined, { DATABASE_URL: url.toString() });
    await warm(limitedApi);
    await until('limited notifier consuming', async () => limitedNotifier?.notifier.consuming === true, 30_000);

    await sql(infra, `REVOKE INSERT ON orders FROM ${role}`);
    revoked = true;
    const key = `s4-${randomUUID()}`;
    const res = await post(limitedApi, body('s4@example.com'), { 'idempotency-key': key });
    if (res.statusCode >= 300) {
      // refused: then nothing may be stored, ever
      expect(res.statusCode, res.body).toBe(503);
      await sql(infra, `GRANT INSERT ON orders TO ${role}`);
      revoked = false;
      expect(await rowsByKey(key)).toEqual([]);
      return;
    }
    expect(res.statusCode, res.body).toBe(202);
    const orderId = res.json<Answer>().orderId;
    // A notifier that dead-letters it does so within its retry schedule (MAX_ATTEMPTS tries, backoff between):
    // watch the dead-letter queue for that long (plus room for breaker pauses); the message must stay queued.
    const schedule = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1)).reduce((a, b) => a + b, 0);
    const watchUntil = Date.now() + schedule + 20_000;
    const fate = await until('dead-lettered, or kept through a whole retry schedule', async () => {
      if ((await deadLetterIds()).includes(orderId)) return 'dead-lettered';
      return Date.now() > watchUntil ? 'kept' : undefined;
    }, schedule + 40_000, 500);
    expect(fate, `acknowledged order ${orderId} was dead-lettered after a permission error`).toBe('kept');
    expect(await rowsByKey(key)).toEqual([]);
    await sql(infra, `GRANT INSERT ON orders TO ${role}`);
    revoked = false;
    const rows = await until('the held order persisted once the privilege is back', async () => {
      const r = await rowsByKey(key);
      return r.length === 1 ? r : undefined;
    }, 60_000, 200);
    expect(rows).toEqual([{ id: orderId, status: 'CONFIRMED' }]);
    expect(await deadLetterIds()).not.toContain(orderId);
  }, 240_000);

  it('a dead letter is listed with its reason and, replayed once its cause is fixed, persisted', async () => {
    const orderId = randomUUID();
    const eventId = 900 + Math.floor(Math.random() * 99);
    const { conn } = await amqpChannel(infra);
    try {
      const ch = await conn.createConfirmChannel();
      const content = encodeMessage({
        v: 1,
        orderId,
        idempotencyKey: `dlq-${orderId}`,
        eventId,
        quantity: 1,
        buyerEmail: 'dlq@example.com',
        totalCents: 100,
        nodeId: 'itest',
        acceptedAt: new Date().toISOString(),
      });
      ch.sendToQueue(QUEUE, content, { persistent: true, contentType: 'application/json', messageId: orderId });
      await ch.waitForConfirms();
    } finally {
      await conn.close().catch(() => undefined);
    }
    await until('dead-lettered as unknown_event', async () => (await deadLetterIds()).includes(orderId), 30_000, 200);
    const listed = await listDeadLetters(infra.amqpUrl);
    expect(listed.find((d) => d.messageId === orderId)).toMatchObject({ messageId: orderId, reason: 'unknown_event', idempotencyKey: `dlq-${orderId}` });
    await sql(infra, `INSERT INTO events (id, name, venue, starts_at, unit_price_cents, capacity, remaining) VALUES ($1, 'Replay', 'Here', now(), 100, 5, 5)`, [eventId]);
    const replayed = await replayDeadLetters(infra.amqpUrl, { messageIds: [orderId] });
    expect(replayed.replayed).toEqual([orderId]);
    const rows = await until('replayed order persisted', async () => {
      const r = await rowsByKey(`dlq-${orderId}`);
      return r.length === 1 ? r : undefined;
    }, 30_000, 200);
    expect(rows).toEqual([{ id: orderId, status: 'CONFIRMED' }]);
    expect(await deadLetterIds()).not.toContain(orderId);
    expect((await listDeadLetters(infra.amqpUrl)).map((d) => d.messageId)).not.toContain(orderId);
  });
});
