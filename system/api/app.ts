import type { FastifyInstance } from 'fastify';
import { Broker } from '../shared/broker.js';
import { Cache } from '../shared/cache.js';
import type { ServiceConfig } from '../shared/config.js';
import { createServiceDatabase, type Database } from '../shared/db.js';
import { HealthMonitor } from '../shared/health.js';
import { createHttpApp } from '../shared/http.js';
import { createLogger, errorMessage, type Logger } from '../shared/logger.js';
import { createMetrics, type Metrics } from '../shared/metrics.js';
import { migrateWithRetry } from '../db/migrate.js';
import { Catalogue } from './catalogue.js';
import { OrderReader } from './orders.js';
import { PendingStore } from './pending.js';
import { PurchaseService } from './purchase.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { ordersRoutes } from './routes/orders.js';
import { purchaseRoutes } from './routes/purchase.js';

export interface ApiDeps {
  config: ServiceConfig;
  db: Database;
  cache: Cache;
  broker: Broker;
  metrics: Metrics;
  monitor: HealthMonitor;
  log: Logger;
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

  // each group of routes is an encapsulated plugin: it sees only the dependencies handed to it
  await app.register(eventsRoutes, { catalogue });
  await app.register(purchaseRoutes, { purchases });
  await app.register(ordersRoutes, { orders: new OrderReader(db, pending) });
  await app.register(healthRoutes, { nodeId: config.nodeId, peers: config.peers, db, monitor, pending });
  return app;
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
  // what the node sees fail is reported at once (HealthMonitor.markDown), not at the next probe
  let seen: HealthMonitor | undefined;
  const db = createServiceDatabase(config, log, {
    setBreaker(state) {
      metrics.setBreaker(state);
      if (state === 'open') seen?.markDown('postgres', 'circuit breaker open');
      if (state === 'closed') void seen?.refresh(); // and back as soon as it answers again
    },
  });
  const cache = new Cache({ url: config.redisUrl, log });
  const broker = new Broker({ url: config.amqpUrl, log, onDown: () => seen?.markDown('rabbitmq', 'connection lost') });
  broker.start();
  const monitor = new HealthMonitor(
    {
      postgres: () => db.probe(Math.min(config.dbQueryTimeoutMs, 1000)),
      redis: () => cache.probe(),
      rabbitmq: async () => ({ up: broker.ready, latencyMs: 0 }),
    },
    metrics,
  );
  seen = monitor;
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
