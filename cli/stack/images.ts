import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventflowHome } from './eventflow-home.js';

/**
 * Image sets. `official` pulls the public images at pinned versions; `offline`
 * uses images built locally from Debian packages (images/offline/build.sh) for
 * hosts without a registry. Choose with `--images` or EVENTFLOW_IMAGES.
 */
export type ImageSetName = 'official' | 'offline';
export type ImageRole = 'postgres' | 'redis' | 'rabbitmq' | 'nginx' | 'prometheus' | 'grafana' | 'node';

export const IMAGE_SETS: Record<ImageSetName, Record<ImageRole, string | undefined>> = {
  official: {
    postgres: 'postgres:16.4-bookworm',
    redis: 'redis:7.4-bookworm',
    rabbitmq: 'rabbitmq:3.13-management',
    nginx: 'nginx:1.27-bookworm',
    prometheus: 'prom/prometheus:v2.54.1',
    grafana: 'grafana/grafana:11.2.0',
    node: 'node:22.22-bookworm-slim',
  },
  offline: {
    postgres: 'localhost/eventflow/postgres:latest',
    redis: 'localhost/eventflow/redis:latest',
    rabbitmq: 'localhost/eventflow/rabbitmq:latest',
    nginx: 'localhost/eventflow/nginx:latest',
    prometheus: 'localhost/eventflow/prometheus:latest',
    // Grafana has no Debian package: the offline set runs without it (and says so).
    grafana: undefined,
    node: 'localhost/eventflow/node:latest',
  },
};

/**
 * The application image (api, notifier, analytics) is always built from system/Dockerfile.
 * EVENTFLOW_APP_TAG gives a checkout its own tag, so that two working copies on one
 * engine (a release branch beside main) never run each other's build.
 */
export function appImageName(set: ImageSetName, tag = process.env.EVENTFLOW_APP_TAG ?? 'latest'): string {
  return `localhost/eventflow/app-${set}:${tag}`;
}

/**
 * The image set to use: the `--images` flag, else EVENTFLOW_IMAGES, else what
 * scripts/setup.sh recorded in $EVENTFLOW_HOME/config.json (it picks `offline`
 * when no registry is reachable), else `official`.
 */
export function resolveImageSet(flag?: string, env: NodeJS.ProcessEnv = process.env): ImageSetName {
  const value = flag ?? env.EVENTFLOW_IMAGES ?? configuredImageSet(env) ?? 'official';
  if (value !== 'official' && value !== 'offline') {
    throw new Error(`unknown image set "${value}" (expected "official" or "offline")`);
  }
  return value;
}

export function imageFor(set: ImageSetName, role: ImageRole): string | undefined {
  return IMAGE_SETS[set][role];
}

function configuredImageSet(env: NodeJS.ProcessEnv): string | undefined {
  const home = eventflowHome(env);
  try {
    const config = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { images?: unknown };
    return typeof config.images === 'string' ? config.images : undefined;
  } catch {
    return undefined; // no config yet: fall through to the default
  }
}
