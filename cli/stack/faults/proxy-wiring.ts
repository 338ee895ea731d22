/**
 * Routing a stack's dependencies through the fault proxy, as a pure function of
 * the topology: the proxy service listens on each dependency's own port and
 * forwards to it; the app services' connection URLs name `proxy` instead of the
 * dependency. No toxic set = plain pass-through (measured: +0.12 ms median, +0.8 ms
 * p99 on a PostgreSQL round trip, see docs/architecture.md), so a stack can always run
 * this way and a scenario adds latency/timeout/reset when it asks.
 *
 * The checker, the CLI and the health checks keep talking to the dependencies
 * directly: a toxic degrades what the services see, never what judges them.
 */
import type { PublishedPort, ServiceSpec } from '../topology.js';
import { PROXY_API_PORT, PROXY_SERVICE } from './toxic.js';

export interface ProxyWiringOptions {
  /** The app image (its `proxy` role is the proxy). */
  image: string;
  group: ServiceSpec['group'];
  /** Dependencies to put behind the proxy (default postgres, redis, rabbitmq). */
  dependencies?: string[];
  /** How the proxy's API (container port 8474) is published for the CLI. */
  publishApi: PublishedPort[];
}

/** The URL with its host replaced by the proxy when it points at a proxied dependency; other values unchanged. */
export function viaProxy(value: string, proxied: Map<string, number[]>): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  const ports = proxied.get(url.hostname);
  if (!ports || !url.port || !ports.includes(Number(url.port))) return value;
  url.hostname = PROXY_SERVICE;
  return url.toString();
}

export function routeThroughProxy(services: ServiceSpec[], opts: ProxyWiringOptions): ServiceSpec[] {
  const wanted = opts.dependencies ?? ['postgres', 'redis', 'rabbitmq'];
  const deps = services.filter((s) => wanted.includes(s.name));
  // every internal port but management/metrics ones, which no service dials (RabbitMQ: AMQP only)
  const proxied = new Map(deps.map((d) => [d.alias, d.ports.filter((p) => p < 10_000)]));
  const config = deps.flatMap((d) => proxied.get(d.alias)!.map((port) => ({ name: d.name, listen: `0.0.0.0:${port}`, upstream: `${d.alias}:${port}` })));
  const names = new Set(config.map((c) => c.name));
  if (names.size !== config.length) throw new Error('routeThroughProxy: a dependency with two proxied ports needs proxies named per port');

  const proxy: ServiceSpec = {
    name: PROXY_SERVICE,
    group: opts.group,
    role: 'app',
    image: opts.image,
    command: ['proxy'],
    env: { PROXY_API_PORT: String(PROXY_API_PORT), PROXY_CONFIG: JSON.stringify(config) },
    ports: [PROXY_API_PORT, ...config.map((c) => Number(c.listen.split(':')[1]))],
    published: opts.publishApi,
    healthCheck: { test: ['CMD', 'bash', '-c', `</dev/tcp/127.0.0.1/${PROXY_API_PORT}`], intervalMs: 2000, timeoutMs: 5000, retries: 3, startPeriodMs: 60_000 },
    readyLog: 'listening',
    dependsOn: [],
    alias: PROXY_SERVICE,
    files: [],
  };
  const rewired = services.map((s) => {
    if (s.role !== 'app') return s;
    const env = Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, viaProxy(v, proxied)]));
    const changed = Object.keys(env).some((k) => env[k] !== s.env[k]);
    return changed ? { ...s, env, dependsOn: [...s.dependsOn, PROXY_SERVICE] } : s;
  });
  const firstApp = rewired.findIndex((s) => s.role === 'app');
  return [...rewired.slice(0, firstApp), proxy, ...rewired.slice(firstApp)];
}
