import type { FastifyInstance } from 'fastify';
import { Cache } from '../shared/cache.js';
import type { ServiceConfig } from '../shared/config.js';
import { createServiceDatabase, type Database } from '../shared/db.js';
import { unavailable } from '../shared/errors.js';
import { HealthMonitor } from '../shared/health.js';
import { createHttpApp } from '../shared/http.js';
import { createLogger, errorMessage, type Logger } from '../shared/logger.js';
import { createMetrics, type Metrics } from '../shared/metrics.js';
import { migrateWithRetry } from '../db/migrate.js';
import { analyticsHealthSchema, revenueSchema, salesSchema, summarySchema } from './schemas.js';
import { buildSnapshot, SALES_SQL, TOTALS_SQL, type SalesRow, type Snapshot, type TotalsRow } from './aggregate.js';

const SNAPSHOT_KEY = 'analytics:snapshot';
/** a snapshot younger than this is served without asking PostgreSQL */
const FRESH_MS = 1000;

/**
 * Serves a snapshot of the aggregates. Fresh from PostgreSQL when it answers;
 * while it is down, the last snapshot (node memory, else Redis) marked stale;
 * 503 only when no snapshot was ever taken.
 */
export class SnapshotSource {
  private last: Snapshot | undefined;
  private lastAt = 0;
  private inflight: Promise<{ snapshot: Snapshot; stale: boolean }> | undefined;

  constructor(
    private readonly db: Database,
    private readonly cache: Cache | undefined,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  async get(): Promise<{ snapshot: Snapshot; stale: boolean }> {
    if (this.last && Date.now() - this.lastAt < FRESH_MS) {
      this.metrics.snapshotAge.set((Date.now() - this.lastAt) / 1000);
      return { snapshot: this.last, stale: false };
    }
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async refresh(): Promise<{ snapshot: Snapshot; stale: boolean }> {
    try {
      const [totals, sales] = await this.db.run((pool) =>
        Promise.all([pool.query<TotalsRow>(TOTALS_SQL), pool.query<SalesRow>(SALES_SQL)]),
      );
      const snapshot = buildSnapshot(totals.rows[0], sales.rows);
      this.last = snapshot;
      this.lastAt = Date.now();
      this.metrics.snapshotAge.set(0);
      if (this.cache) await this.cache.setJson(SNAPSHOT_KEY, snapshot).catch(() => undefined);
      return { snapshot, stale: false };
    } catch (err) {
      this.log.debug({ err: errorMessage(err) }, 'analytics query failed; serving snapshot');
      if (!this.last && this.cache) {
        const cached = await this.cache.getJson<Snapshot>(SNAPSHOT_KEY).catch(() => undefined);
        if (cached) {
          this.last = cached;
          this.lastAt = Date.parse(cached.generatedAt) || Date.now();
        }
      }
      if (!this.last) throw unavailable(`database unreachable (${errorMessage(err)}) and no snapshot taken yet`);
      this.metrics.snapshotAge.set((Date.now() - Date.parse(this.last.generatedAt)) / 1000);
      return { snapshot: this.last, stale: true };
    }
  }
}

export async function buildAnalyticsApp(deps: {
  config: ServiceConfig;
  db: Database;
  cache?: Cache;
  metrics: Metrics;
  monitor: HealthMonitor;
  log: Logger;
}): Promise<FastifyInstance> {
  const { config, db, cache, metrics, monitor, log } = deps;
  const app = createHttpApp({ nodeId: config.nodeId, metrics, logLevel: config.logLevel });
  const source = new SnapshotSource(db, cache, metrics, log);

  app.get('/revenue', { schema: revenueSchema }, async () => {
    const { snapshot, stale } = await source.get();
    return { totalCents: snapshot.totalCents, orders: snapshot.orders, stale };
  });
  app.get('/sales', { schema: salesSchema }, async () => {
    const { snapshot, stale } = await source.get();
    return { events: snapshot.events, stale };
  });
  app.get('/summary', { schema: summarySchema }, async () => {
    const { snapshot, stale } = await source.get();
    return { ...snapshot, stale };
  });
  app.get('/health', { schema: analyticsHealthSchema }, async () => ({
    node: config.nodeId,
    up: true,
    status: monitor.allUp() ? 'ok' : 'degraded',
    dependencies: monitor.snapshot(),
    breaker: db.breakerState,
  }));
  return app;
}

export async function createAnalyticsService(config: ServiceConfig, log: Logger = createLogger(config.logLevel, { service: 'analytics', node: config.nodeId })) {
  const metrics = createMetrics('analytics', config.nodeId, { defaultMetrics: true });
  const db = createServiceDatabase(config, log, metrics, { poolSize: 4 });
  const cache = config.redisUrl ? new Cache({ url: config.redisUrl, log }) : undefined;
  const monitor = new HealthMonitor(
    { postgres: () => db.probe(Math.min(config.dbQueryTimeoutMs, 1000)), ...(cache ? { redis: () => cache.probe() } : {}) },
    metrics,
  );
  monitor.start();
  const abort = new AbortController();
  void migrateWithRetry(config.databaseUrl, log, { signal: abort.signal }).catch((err: unknown) =>
    log.error({ err: errorMessage(err) }, 'migrations failed'),
  );
  const app = await buildAnalyticsApp({ config, db, ...(cache ? { cache } : {}), metrics, monitor, log });
  return {
    app,
    metrics,
    async close() {
      abort.abort();
      monitor.stop();
      await app.close();
      await Promise.allSettled([db.close(), cache?.close()]);
    },
  };
}
