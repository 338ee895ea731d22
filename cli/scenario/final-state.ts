/**
 * Reading the system's state for waits and the checker: PostgreSQL (orders of
 * this run, by key prefix or buyer e-mail tag; events) and RabbitMQ (queue depths, by AMQP passive declare — instant —
 * or by the management API as a fallback, whose figures lag by its stats interval).
 * The PostgreSQL and AMQP clients load at the first read (a run's start-up does not wait for them).
 */
import type pg from 'pg';
import type amqp from 'amqplib';
import { request } from 'undici';
import type { StackCredentials, StackEndpoints } from '../stack/types.js';
import type { EventRow, FinalState, OrderRow } from './checker.js';

/** A PostgreSQL connection idle longer than this is replaced (a poll every 100 ms keeps one). */
const REUSE_IDLE_MS = 1_000;

export const PURCHASE_QUEUES = ['eventflow.purchases', 'eventflow.purchases.retry'] as const;

export interface QueueDepths {
  /** Ready messages per queue (plus unacknowledged when read from the management API). */
  depths: Record<string, number>;
  source: 'amqp' | 'management';
}

export interface SystemState {
  readFinalState(prefix: string): Promise<FinalState>;
  /** The run's persisted orders by what attributes them: the key, or the buyer e-mail of one sent without a key. */
  persistedKeys(prefix: string): Promise<Set<string>>;
  queueDepths(): Promise<QueueDepths>;
  /** Test-only sabotage: delete one persisted order of this run behind the system's back. */
  deleteOneOrder(prefix: string, key?: string): Promise<string | undefined>;
  /** Forget cached addresses (a restarted container may have new host ports). */
  invalidate?(): void;
  close(): Promise<void>;
}

/**
 * `endpoints` is re-read (StackHandle.endpoints inspects the containers) after
 * `invalidate()` and after any connection failure: host ports change when a
 * container is started again.
 *
 * One PostgreSQL connection and one AMQP channel serve every read of the run (a
 * drain polls ten times a second): a connection per read cost a TCP handshake and a
 * SCRAM authentication each time, a channel per queue two more round trips. A
 * connection that fails, or an `invalidate()`, drops them; the next read opens new
 * ones. A PostgreSQL connection idle for longer than REUSE_IDLE_MS is not reused: a
 * fault injected since (a partition, a kill behind a proxy) could leave it hanging
 * until its query timeout, where a new one fails within its connect timeout. Reads on
 * it run one at a time (deleteOneOrder is a transaction: nothing else may run inside it).
 */
export function createSystemState(readEndpoints: () => Promise<StackEndpoints>, credentials: StackCredentials): SystemState {
  let cached: StackEndpoints | undefined;
  const current = async () => (cached ??= await readEndpoints());
  let client: pg.Client | undefined;
  let clientIdleSince = 0;
  const dropClient = () => {
    const c = client;
    client = undefined;
    void c?.end().catch(() => undefined);
  };
  const connectClient = async (): Promise<pg.Client> => {
    const [endpoints, { default: Pg }] = await Promise.all([current(), import('pg')]);
    const c = new Pg.Client({ connectionString: endpoints.postgresUrl, connectionTimeoutMillis: 2_000, statement_timeout: 5_000, query_timeout: 6_000 });
    // A dead connection (PostgreSQL killed or restarted) is forgotten; the next read reconnects.
    c.on('error', () => {
      if (client === c) dropClient();
    });
    c.on('end', () => {
      if (client === c) client = undefined;
    });
    try {
      await c.connect();
    } catch (e) {
      cached = undefined;
      await c.end().catch(() => undefined);
      throw e;
    }
    return c;
  };
  let pgQueue: Promise<unknown> = Promise.resolve();
  const withClient = <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const run = pgQueue.then(async () => {
      if (client && performance.now() - clientIdleSince > REUSE_IDLE_MS) dropClient();
      client ??= await connectClient();
      const c = client;
      try {
        const result = await fn(c);
        clientIdleSince = performance.now();
        return result;
      } catch (e) {
        // the connection may be broken (or left inside a transaction): the next read opens a new one
        if (client === c) dropClient();
        throw e;
      }
    });
    pgQueue = run.catch(() => undefined);
    return run;
  };
  let conn: amqp.ChannelModel | undefined;
  let channel: amqp.Channel | undefined;
  const openChannel = async (): Promise<amqp.Channel> => {
    if (!conn) {
      const [{ amqpUrl }, { default: amqp }] = await Promise.all([current(), import('amqplib')]);
      const c = await amqp.connect(amqpUrl, { timeout: 2_000 });
      c.on('error', () => undefined);
      c.on('close', () => {
        if (conn === c) {
          conn = undefined;
          channel = undefined;
        }
      });
      conn = c;
    }
    if (!channel) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      // a failed passive declare closes the channel: the next read opens another
      ch.on('close', () => {
        if (channel === ch) channel = undefined;
      });
      channel = ch;
    }
    return channel;
  };
  const closeAmqp = async () => {
    const c = conn;
    conn = undefined;
    channel = undefined;
    await c?.close().catch(() => undefined);
  };

  return {
    readFinalState: (prefix) =>
      withClient(async (c) => {
        // The run's keys, or (purchases sent without a key) the run's tag in the buyer e-mail: local+<prefix><n>@domain.
        const orders = await c.query<{ id: string; idempotency_key: string; event_id: number; quantity: number; status: string; path: string | null; buyer_email: string }>(
          `SELECT id::text, idempotency_key, event_id, quantity, status, path, buyer_email FROM orders
            WHERE starts_with(idempotency_key, $1) OR strpos(buyer_email, '+' || $1) > 0`,
          [prefix],
        );
        const events = await c.query<{ id: number; capacity: number; remaining: number; confirmed: string }>(
          `SELECT e.id, e.capacity, e.remaining,
                  COALESCE((SELECT SUM(o.quantity) FROM orders o WHERE o.event_id = e.id AND o.status = 'CONFIRMED'), 0)::text AS confirmed
             FROM events e ORDER BY e.id`,
        );
        return {
          orders: orders.rows.map(
            (r): OrderRow => ({
              id: r.id,
              idempotencyKey: r.idempotency_key,
              eventId: r.event_id,
              quantity: r.quantity,
              status: r.status,
              path: r.path ?? undefined,
              email: r.buyer_email,
            }),
          ),
          events: events.rows.map((r): EventRow => ({ id: r.id, capacity: r.capacity, remaining: r.remaining, confirmedQuantity: Number(r.confirmed) })),
        };
      }),
    persistedKeys: (prefix) =>
      withClient(async (c) => {
        const r = await c.query<{ k: string }>(
          `SELECT CASE WHEN starts_with(idempotency_key, $1) THEN idempotency_key ELSE buyer_email END AS k FROM orders
            WHERE starts_with(idempotency_key, $1) OR strpos(buyer_email, '+' || $1) > 0`,
          [prefix],
        );
        return new Set(r.rows.map((x) => x.k));
      }),
    async queueDepths() {
      try {
        const ch = await openChannel();
        const depths: Record<string, number> = {};
        for (const q of PURCHASE_QUEUES) depths[q] = (await ch.checkQueue(q)).messageCount;
        return { depths, source: 'amqp' };
      } catch {
        await closeAmqp();
        cached = undefined;
        return managementDepths((await current()).rabbitmqManagement, credentials);
      }
    },
    deleteOneOrder: (prefix, key) =>
      withClient(async (c) => {
        await c.query('BEGIN');
        const r = await c.query<{ id: string; k: string }>(
          'SELECT id::text AS id, idempotency_key AS k FROM orders WHERE starts_with(idempotency_key, $1) AND ($2::text IS NULL OR idempotency_key = $2) ORDER BY idempotency_key LIMIT 1',
          [prefix, key ?? null],
        );
        const row = r.rows[0];
        if (row) {
          await c.query('DELETE FROM notifications WHERE order_id = $1::uuid', [row.id]);
          // the order vanishes and its tickets go back on sale: only `lost` can see it, not conservation
          // (which would otherwise stay broken for every later run on this stack)
          await c.query(
            `WITH gone AS (DELETE FROM orders WHERE id = $1::uuid RETURNING event_id, quantity, status)
             UPDATE events e SET remaining = e.remaining + gone.quantity FROM gone WHERE e.id = gone.event_id AND gone.status = 'CONFIRMED'`,
            [row.id],
          );
        }
        await c.query('COMMIT');
        return row?.k;
      }),
    invalidate() {
      cached = undefined;
      dropClient();
    },
    async close() {
      const c = client;
      client = undefined;
      await Promise.all([c?.end().catch(() => undefined), closeAmqp()]);
    },
  };
}

async function managementDepths(base: string, credentials: StackCredentials): Promise<QueueDepths> {
  const auth = Buffer.from(`${credentials.rabbitmq.user}:${credentials.rabbitmq.password}`).toString('base64');
  const depths: Record<string, number> = {};
  for (const q of PURCHASE_QUEUES) {
    const res = await request(new URL(`/api/queues/%2F/${encodeURIComponent(q)}`, base), {
      headers: { authorization: `Basic ${auth}` },
      headersTimeout: 2_000,
      bodyTimeout: 2_000,
    });
    const body = (await res.body.json()) as { messages?: number };
    if (res.statusCode !== 200) throw new Error(`RabbitMQ management API: ${q}: HTTP ${res.statusCode}`);
    depths[q] = body.messages ?? 0;
  }
  return { depths, source: 'management' };
}
