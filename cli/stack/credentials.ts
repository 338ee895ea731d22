import { randomBytes } from 'node:crypto';
import type { StackCredentials } from './types.js';

/** A random secret that needs no quoting in URLs, shells or config files. */
export function secret(bytes = 18): string {
  return randomBytes(bytes).toString('base64url').replace(/[-_]/g, 'x');
}

/** Fresh credentials for one stack: never guest/guest, never admin/admin. */
export function generateCredentials(withGrafana = true): StackCredentials {
  const suffix = randomBytes(3).toString('hex');
  return {
    postgres: { user: `eventflow_${suffix}`, password: secret(), database: 'eventflow' },
    rabbitmq: { user: `eventflow-${suffix}`, password: secret() },
    redis: { password: secret() },
    ...(withGrafana ? { grafana: { user: `eventflow-${suffix}`, password: secret() } } : {}),
  };
}
