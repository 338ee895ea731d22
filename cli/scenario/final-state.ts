/**
 * Reading the system's state for waits and the checker: PostgreSQL (orders of
 * this run, by key prefix or buyer e-mail tag; events) and RabbitMQ (queue depths, by AMQP passive declare — instant —
 * or by the management API as a fallback, whose figures lag by its stats interval).
 */
import pg from 'pg';
import amqp from 'amqplib';
import { request } from 'undici';
import type { StackCredentials, StackEndpoints } from '../stack/types.js';
import type { EventRow, FinalState, OrderRow } from './checker.js';

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
 */
export function createSystemState(readEndpoints: () => Promise<StackEndpoints>, credentials: StackCredentials): SystemState {
  let cached: StackEndpoints | undefined;
  const current = async () => (cached ??= await readEndpoints());
  const withClient = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const endpoints = await current();
    const client = new pg.Client({ connectionString: endpoints.postgresUrl, connectionTimeoutMillis: 2_000, statement_timeout: 5_000, query_timeout: 6_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (e) {
      cached = undefined;
      throw e;
    }
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  let conn: amqp.ChannelModel | undefined;

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
        if (!conn) {
          conn = await amqp.connect((await current()).amqpUrl, { timeout: 2_000 });
          conn.on('error', () => undefined);
          conn.on('close', () => (conn = undefined));
        }
        const depths: Record<string, number> = {};
        for (const q of PURCHASE_QUEUES) {
          const ch = await conn.createChannel();
          ch.on('error', () => undefined);
          try {
            depths[q] = (await ch.checkQueue(q)).messageCount;
          } finally {
            await ch.close().catch(() => undefined);
          }
        }
        return { depths, source: 'amqp' };
      } catch {
        const c = conn;
        conn = undefined;
        await c?.close().catch(() => undefined);
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
    },
    async close() {
      const c = conn;
      conn = undefined;
      await c?.close().catch(() => undefined);
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
