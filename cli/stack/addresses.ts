/**
 * How the stack's services are named and reached: the api node names, the ports the
 * services listen on and the connection URLs. The topology, the rendered NGINX and
 * Prometheus config, the stack handle and the scenario validator all use these.
 */
import type { StackCredentials } from './types.js';

export const API_PORT = 3000;
export const ANALYTICS_PORT = 3001;
export const NOTIFIER_PORT = 9464;
export const POSTGRES_PORT = 5432;
export const REDIS_PORT = 6379;
export const AMQP_PORT = 5672;
export const PROMETHEUS_PORT = 9090;
export const GRAFANA_PORT = 3000;

/** Where system/web is copied in the NGINX container. */
export const WEB_ROOT_IN_CONTAINER = '/usr/share/eventflow/web';

/** The api nodes are `api-1` … `api-N`. */
export function apiNodeNames(nodes: number): string[] {
  return Array.from({ length: nodes }, (_, i) => `api-${i + 1}`);
}

export interface ConnectionUrls {
  postgres: string;
  redis: string;
  amqp: string;
}

/**
 * Connection URLs with the stack's credentials. `at` gives each service's `host:port`:
 * the network aliases inside the stack (the default), or loopback-mapped ports on the host.
 */
export function connectionUrls(c: StackCredentials, at: Partial<Record<keyof ConnectionUrls, string>> = {}): ConnectionUrls {
  const pg = c.postgres;
  return {
    postgres: `postgres://${pg.user}:${pg.password}@${at.postgres ?? `postgres:${POSTGRES_PORT}`}/${pg.database}`,
    redis: `redis://:${c.redis.password}@${at.redis ?? `redis:${REDIS_PORT}`}`,
    amqp: `amqp://${c.rabbitmq.user}:${c.rabbitmq.password}@${at.amqp ?? `rabbitmq:${AMQP_PORT}`}`,
  };
}
