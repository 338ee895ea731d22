import type { FastifyInstance } from 'fastify';
import { CONFIG_EXIT_CODE, ConfigError, loadConfig, parseRole, type Role, type ServiceConfig } from './shared/config.js';
import { createLogger, errorMessage, type Logger } from './shared/logger.js';

/** how long in-flight work may take to finish after SIGTERM/SIGINT before the process gives up (exit 1) */
const SHUTDOWN_GRACE_MS = 10_000;

interface Service {
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Each role's service, imported only by the process that runs it: one image serves every role, and an
 * api node that loaded the notifier's, the analytics' and the proxy's code too kept it resident for nothing.
 */
const SERVICES: Record<Exclude<Role, 'migrate'>, (config: ServiceConfig, log: Logger) => Promise<Service>> = {
  api: async (config, log) => (await import('./api/app.js')).createApiService(config, log),
  notifier: async (config, log) => (await import('./notifier/worker.js')).createNotifierService(config, { log }),
  analytics: async (config, log) => (await import('./analytics/app.js')).createAnalyticsService(config, log),
};

async function start(config: ServiceConfig): Promise<void> {
  const log = createLogger(config.logLevel, { service: config.role, node: config.nodeId });
  if (config.role === 'migrate') {
    const { migrateWithRetry } = await import('./db/migrate.js');
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

  service = await SERVICES[config.role](config, log);
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
  if (process.argv[2] === 'proxy') return void import('./proxy/main.js').then(({ runProxy }) => runProxy()).catch(fatal); // the fault proxy has its own config (system/proxy/main.ts)
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
