/**
 * The `proxy` role of the app image: EventFlow's stand-in for Toxiproxy where
 * its binary is not available (the offline image set). Environment:
 *   PROXY_API_PORT   HTTP API port (default 8474, Toxiproxy's)
 *   PROXY_CONFIG     optional JSON array of proxies to create at start,
 *                    [{"name":"postgres","listen":"0.0.0.0:5432","upstream":"postgres-real:5432"}]
 *                    (Toxiproxy's `-config` file, inline)
 */
import { createProxyApi, type ProxyDefinition } from './api.js';
import { createLogger, errorMessage } from '../shared/logger.js';

export const DEFAULT_PROXY_API_PORT = 8474;

export function readProxyConfig(env: NodeJS.ProcessEnv): { port: number; proxies: ProxyDefinition[] } {
  const port = Number(env.PROXY_API_PORT ?? DEFAULT_PROXY_API_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`config error: PROXY_API_PORT: must be a port number, got "${env.PROXY_API_PORT}"`);
  if (!env.PROXY_CONFIG?.trim()) return { port, proxies: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.PROXY_CONFIG);
  } catch (e) {
    throw new Error(`config error: PROXY_CONFIG: not JSON (${errorMessage(e)})`);
  }
  const ok = (p: unknown): p is ProxyDefinition =>
    typeof p === 'object' && p !== null && ['name', 'listen', 'upstream'].every((k) => typeof (p as Record<string, unknown>)[k] === 'string');
  if (!Array.isArray(parsed) || !parsed.every(ok)) throw new Error('config error: PROXY_CONFIG: must be an array of {name, listen, upstream}');
  return { port, proxies: parsed };
}

export async function runProxy(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = createLogger('info', { service: 'proxy' });
  const { port, proxies } = readProxyConfig(env);
  const { app, collection } = createProxyApi();
  for (const def of proxies) await collection.add(def);
  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await app.listen({ host: '0.0.0.0', port });
  log.info({ port, proxies: proxies.map((p) => `${p.name} ${p.listen} → ${p.upstream}`) }, 'listening');
}
