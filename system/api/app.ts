import type { FastifyInstance } from 'fastify';
import { Broker } from '../shared/broker.js';
import { Cache } from '../shared/cache.js';
import type { ServiceConfig } from '../shared/config.js';
import { createServiceDatabase, type Database } from '../shared/db.js';
import { orderNotFound, unavailable } from '../shared/errors.js';
import { HealthMonitor } from '../shared/health.js';
import { createHttpApp } from '../shared/http.js';
import { createLogger, errorMessage, type Logger } from '../shared/logger.js';
import { createMetrics, type Metrics } from '../shared/metrics.js';
import { migrateWithRetry } from '../db/migrate.js';
import { Catalogue } from './catalogue.js';
import { resolveIdempotencyKey } from './idempotency.js';
import { PendingStore, viewOf } from './pending.js';
import { PurchaseService } from './purchase.js';
import {
  clusterHealthSchema,
  getEventSchema,
  listEventsSchema,
  nodeHealthSchema,
  orderSchema,
  purchaseSchema,
} from './schemas.js';
import type { OrderView } from './types.js';

export interface ApiDeps {
  config: ServiceConfig;
  db: Database;
  cache: Cache;
  broker: Broker;
  metrics: Metrics;
  monitor: HealthMonitor;
  log: Logger;
}

interface NodeHealthBody {
  node: string;
  up: boolean;
  status?: 'ok' | 'degraded';
  dependencies?: ReturnType<HealthMonitor['snapshot']>;
  breaker?: string;
  pendingOrders?: number;
}

/** Build the API's Fastify app around already-created dependencies (no sockets opened here). */
export async function buildApiApp(deps: ApiDeps): Promise<FastifyInstance> {
  const { config, db, cache, broker, metrics, monitor, log } = deps;
  const app = createHttpApp({
    nodeId: config.nodeId,
    metrics,
    logLevel: config.logLevel,
    onValidationError: (req) => {
      if (req.routeOptions.url === '/purchase') metrics.purchases.inc({ outcome: 'invalid' });
    },
  });
  const catalogue = new Catalogue(db, cache, metrics, log);
  const pending = new PendingStore(cache);
  const purchases = new PurchaseService({ db, broker, catalogue, pending, metrics, log, nodeId: config.nodeId });
  app.decorate('catalogue', catalogue);

  app.get('/events', { schema: listEventsSchema }, async () => catalogue.list());

  app.get<{ Params: { id: string } }>('/events/:id', { schema: getEventSchema }, async (request) =>
    catalogue.get(Number(request.params.id)),
  );

  app.post<{ Body: { eventId: number; quantity: number; email: string } }>(
    '/purchase',
    { schema: purchaseSchema },
    async (request, reply) => {
      const { key } = resolveIdempotencyKey(request.headers['idempotency-key']);
      const outcome = await purchases.purchase({ ...request.body, idempotencyKey: key });
      return reply.code(outcome.httpStatus).send(outcome.body);
    },
  );

  type OrderRow = { id: string; status: 'CONFIRMED' | 'REJECTED'; event_id: number; quantity: number; total_cents: number; reason: string | null };
  const SELECT_ORDER = 'SELECT id, status, event_id, quantity, total_cents, reason FROM orders';
  app.get<{ Params: { id: string } }>('/orders/:id', { schema: orderSchema }, async (request): Promise<OrderView> => {
    const id = request.params.id.toLowerCase();
    let dbError: unknown;
    try {
      let row = (await db.run((pool) => pool.query<OrderRow>(`${SELECT_ORDER} WHERE id = $1`, [id]))).rows[0];
      if (!row) {
        // accepted twice under one key (e.g. a retried POST while Redis was down): the key's order is the one that counts
        const rec = await pending.findById(id);
        if (rec) row = (await db.run((pool) => pool.query<OrderRow>(`${SELECT_ORDER} WHERE idempotency_key = $1`, [rec.idempotencyKey]))).rows[0];
      }
      if (row) {
        void pending.settled(id, row.status, row.reason);
        return {
          orderId: row.id,
          status: row.status,
          eventId: row.event_id,
          quantity: row.quantity,
          totalCents: row.total_cents,
          ...(row.reason ? { reason: row.reason } : {}),
        };
      }
    } catch (err) {
      dbError = err;
    }
    const rec = await pending.findById(id);
    if (rec) {
      const { idempotencyKey: _omit, ...view } = viewOf(rec);
      return view;
    }
    if (dbError !== undefined) throw unavailable(`database unreachable (${errorMessage(dbError)}) and order ${id} not known to this node`);
    throw orderNotFound(id);
  });

  const nodeHealth = (): NodeHealthBody => ({
    node: config.nodeId,
    up: true,
    status: monitor.allUp() && db.breakerState === 'closed' ? 'ok' : 'degraded',
    dependencies: monitor.snapshot(),
    breaker: db.breakerState,
    pendingOrders: pending.size,
  });

  app.get('/health/node', { schema: nodeHealthSchema }, async () => nodeHealth());

  app.get('/health', { schema: clusterHealthSchema }, async () => {
    const self = nodeHealth();
    // A peer is addressed as "<alias>:<port>" and the alias is its node id: skip ourselves
    // (asking ourselves over the network could only time out under load and report us down).
    const others = config.peers.filter((peer) => peerNodeId(peer) !== config.nodeId);
    const peers = await Promise.all(
      others.map(async (peer): Promise<NodeHealthBody> => {
        try {
          const res = await fetch(`http://${peer}/health/node`, { signal: AbortSignal.timeout(PEER_HEALTH_TIMEOUT_MS) });
          if (!res.ok) return { node: peerNodeId(peer), up: false };
          return (await res.json()) as NodeHealthBody;
        } catch {
          return { node: peerNodeId(peer), up: false };
        }
      }),
    );
    const nodes = [self, ...peers];
    const status = nodes.every((n) => n.up && n.status === 'ok') ? 'ok' : 'degraded';
    return { status, node: config.nodeId, nodes };
  });

  return app;
}

/** Long enough for a busy peer, short enough that a dead one does not stall the GUI's poll. */
const PEER_HEALTH_TIMEOUT_MS = 1000;

function peerNodeId(peer: string): string {
  return peer.replace(/:\d+$/, '');
}

declare module 'fastify' {
  interface FastifyInstance {
    catalogue: Catalogue;
  }
}

export interface RunningService {
  app: FastifyInstance;
  metrics: Metrics;
  db: Database;
  close(): Promise<void>;
}

/** Create every dependency of an api node from its config, start background work, build the app. */
export async function createApiService(config: ServiceConfig, log: Logger = createLogger(config.logLevel, { service: 'api', node: config.nodeId })): Promise<RunningService> {
  if (!config.redisUrl || !config.amqpUrl) throw new Error('api needs REDIS_URL and AMQP_URL');
  const metrics = createMetrics('api', config.nodeId, { defaultMetrics: true });
  const db = createServiceDatabase(config, log, metrics);
  const cache = new Cache({ url: config.redisUrl, log });
  const broker = new Broker({ url: config.amqpUrl, log });
  broker.start();
  const monitor = new HealthMonitor(
    {
      postgres: () => db.probe(Math.min(config.dbQueryTimeoutMs, 1000)),
      redis: () => cache.probe(),
      rabbitmq: async () => ({ up: broker.ready, latencyMs: 0 }),
    },
    metrics,
  );
  monitor.start();
  const abort = new AbortController();
  const app = await buildApiApp({ config, db, cache, broker, metrics, monitor, log });
  // schema + seed, then warm the catalogue (the database may be down at start: keep trying in the background)
  void migrateWithRetry(config.databaseUrl, log, { signal: abort.signal })
    .then(async (ok) => {
      if (ok) await app.catalogue.loadFromDb().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'catalogue warm-up failed'));
    })
    .catch((err: unknown) => log.error({ err: errorMessage(err) }, 'migrations failed'));
  return {
    app,
    metrics,
    db,
    async close() {
      abort.abort();
      monitor.stop();
      await app.close();
      await Promise.allSettled([broker.close(), cache.close(), db.close()]);
    },
  };
}
