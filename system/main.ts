import type { FastifyInstance } from 'fastify';
import { createAnalyticsService } from './analytics/app.js';
import { createApiService } from './api/app.js';
import { migrateWithRetry } from './db/migrate.js';
import { createNotifierService } from './notifier/worker.js';
import { CONFIG_EXIT_CODE, ConfigError, loadConfig, parseRole, type ServiceConfig } from './shared/config.js';
import { createLogger, errorMessage } from './shared/logger.js';

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
  const service: Service =
    config.role === 'api'
      ? await createApiService(config, log)
      : config.role === 'notifier'
        ? await createNotifierService(config, { log })
        : await createAnalyticsService(config, log);
  await service.app.listen({ host: '0.0.0.0', port: config.port });
  log.info({ port: config.port, role: config.role }, 'listening');

  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    log.info({ signal }, 'shutting down: draining in-flight requests');
    const force = setTimeout(() => {
      log.warn({}, 'shutdown took too long; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    service
      .close()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error({ err: errorMessage(err) }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function main(): void {
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
  start(config).catch((err: unknown) => {
    process.stderr.write(`fatal: ${errorMessage(err)}\n`);
    process.exit(1);
  });
}

main();
