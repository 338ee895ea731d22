import type { FastifyInstance } from 'fastify';
import { createAnalyticsService } from './analytics/app.js';
import { createApiService } from './api/app.js';
import { migrateWithRetry } from './db/migrate.js';
import { createNotifierService } from './notifier/worker.js';
import { runProxy } from './proxy/main.js';
import { CONFIG_EXIT_CODE, ConfigError, loadConfig, parseRole, type ServiceConfig } from './shared/config.js';
import { createLogger, errorMessage } from './shared/logger.js';

/** how long in-flight work may take to finish after SIGTERM/SIGINT before the process gives up (exit 1) */
const SHUTDOWN_GRACE_MS = 10_000;

interface Service {
  app: FastifyInstance;
  close(): Promise<void>;
}

async function start(config: ServiceConfig): Promise<void> {
  const log = createLogger(config.logLevel, { service: config.role, node: config.nodeId });
  if (config.role === 'migrate') {
    await migrateWithRetry(config.databaseUrl, log, { deadlineMs: 60_000 });
    log.info({}, 'migrations up to date');
    return;
  }
  // handlers first: a SIGTERM that arrives while the service is still starting must not kill it mid-way
  let service: Service | undefined;
  let closing: string | undefined;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = signal;
    if (!service) {
      log.info({ signal }, 'shutting down: signal received while starting');
      return; // finished below, as soon as the service exists
    }
    const running = service;
    const startedAt = Date.now();
    log.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      log.warn({ graceMs: SHUTDOWN_GRACE_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    // server.close() only closes the keep-alive connections that are idle at that moment; a connection
    // whose request was in flight becomes idle once answered and would hold close() up until the
    // keep-alive timeout: close such connections as soon as they go idle
    const reapIdle = setInterval(() => running.app.server.closeIdleConnections(), 50);
    reapIdle.unref();
    running
      .close()
      .then(() => {
        log.info({ signal, durationMs: Date.now() - startedAt }, 'shut down cleanly');
        process.exit(0);
      })
      .catch((err: unknown) => {
        log.error({ err: errorMessage(err) }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  service =
    config.role === 'api'
      ? await createApiService(config, log)
      : config.role === 'notifier'
        ? await createNotifierService(config, { log })
        : await createAnalyticsService(config, log);
  if (closing) {
    const signal = closing;
    closing = undefined;
    shutdown(signal);
    return;
  }
  try {
    await service.app.listen({ host: '0.0.0.0', port: config.port });
  } catch (err) {
    if (closing) return; // a signal during listen: shutdown() is already closing the app
    throw err;
  }
  if (closing) return;
  log.info({ port: config.port, role: config.role }, 'listening');
}

function main(): void {
  const fatal = (err: unknown): void => {
    process.stderr.write(`fatal: ${errorMessage(err)}\n`);
    process.exit(1);
  };
  if (process.argv[2] === 'proxy') return void runProxy().catch(fatal); // the fault proxy has its own config (system/proxy/main.ts)
  let config: ServiceConfig;
  try {
    config = loadConfig(parseRole(process.argv[2]), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(CONFIG_EXIT_CODE);
    }
    throw err;
  }
  start(config).catch(fatal);
}

main();
