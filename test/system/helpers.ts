import amqp, { type Channel, type ChannelModel } from 'amqplib';
import pg from 'pg';
import { createAnalyticsService } from '../../system/analytics/app.js';
import { createApiService, type RunningService } from '../../system/api/app.js';
import { loadConfig, type Role, type ServiceConfig } from '../../system/shared/config.js';
import { silentLogger } from '../../system/shared/logger.js';
import { createNotifierService, type NotifierHooks, type RunningNotifier } from '../../system/notifier/worker.js';
import type { Infra } from '../support/infra.js';
import { until } from '../support/wait.js';

export function configFor(role: Role, infra: Infra, nodeId: string, extra: Record<string, string> = {}): ServiceConfig {
  return loadConfig(role, {
    DATABASE_URL: infra.databaseUrl,
    REDIS_URL: infra.redisUrl,
    AMQP_URL: infra.amqpUrl,
    NODE_ID: nodeId,
    LOG_LEVEL: 'silent',
    DB_QUERY_TIMEOUT_MS: '1000',
    BREAKER_RESET_MS: '1000',
    ...extra,
  });
}

export async function startApi(infra: Infra, nodeId = 'api-1', extra: Record<string, string> = {}): Promise<RunningService> {
  const svc = await createApiService(configFor('api', infra, nodeId, extra), silentLogger);
  await svc.app.ready();
  return svc;
}

export async function startNotifier(infra: Infra, hooks?: NotifierHooks, extra: Record<string, string> = {}): Promise<RunningNotifier> {
  return createNotifierService(configFor('notifier', infra, 'notifier', extra), { log: silentLogger, ...(hooks ? { hooks } : {}) });
}

export async function startAnalytics(infra: Infra) {
  const svc = await createAnalyticsService(configFor('analytics', infra, 'analytics'), silentLogger);
  await svc.app.ready();
  return svc;
}

export { sleep, until } from '../support/wait.js';

/** Direct SQL for assertions (a fresh connection each time, so it survives DB restarts). */
export async function sql<R extends pg.QueryResultRow>(infra: Infra, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: infra.databaseUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Wait (bounded) until no session but probes is busy in PostgreSQL: no statement running, no transaction left
 * open. After that, a transaction the api gave up on can no longer commit behind its back.
 */
export async function untilNoOpenTransaction(infra: Infra, timeoutMs = 15_000): Promise<void> {
  await until('no transaction open in PostgreSQL', async () => {
    const busy = await sql<{ n: string }>(
      infra,
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND datname = current_database()
          AND state <> 'idle' AND query NOT IN ('SELECT 1', 'SELECT 1;')`,
    );
    return Number(busy[0]?.n) === 0;
  }, timeoutMs, 100);
}

/** Wait (bounded) until some session of this database is sleeping in pg_sleep (work is in flight on the server). */
export async function untilSleepingInPostgres(infra: Infra, timeoutMs = 5_000): Promise<void> {
  await until('a session sleeping in PostgreSQL', async () => {
    const r = await sql<{ n: string }>(
      infra,
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'",
    );
    return Number(r[0]?.n) > 0;
  }, timeoutMs, 20);
}

export async function amqpChannel(infra: Infra): Promise<{ conn: ChannelModel; ch: Channel }> {
  const conn = await amqp.connect(infra.amqpUrl);
  conn.on('error', () => undefined);
  const ch = await conn.createChannel();
  ch.on('error', () => undefined);
  return { conn, ch };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
