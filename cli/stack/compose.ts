/**
 * docker-compose.yml (official images) and docker-compose.offline.yml (override:
 * offline images, no Grafana) rendered from the topology, so the classic
 * `docker compose up --build -d` runs the same stack as `eventflow up`: same
 * services, images, commands, environment, health checks and dependencies.
 * Regenerate with `node --import tsx cli/stack/compose.ts`; a unit test checks
 * that the committed files agree with the topology.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { appImageName, imageFor } from './images.js';
import { buildTopology, type EndpointName, type HealthCheckSpec, type ServiceSpec, type Topology } from './topology.js';
import type { StackCredentials } from './types.js';

/**
 * Credentials as compose variables with no default: compose refuses to start
 * until they are set, so no stack ever runs on a published password.
 * `scripts/compose-env.sh` writes a `.env` with random ones.
 */
export const COMPOSE_CREDENTIALS: StackCredentials = {
  postgres: { user: '${EVENTFLOW_POSTGRES_USER:-eventflow}', password: '${EVENTFLOW_POSTGRES_PASSWORD:?run scripts/compose-env.sh first}', database: 'eventflow' },
  rabbitmq: { user: '${EVENTFLOW_RABBITMQ_USER:-eventflow}', password: '${EVENTFLOW_RABBITMQ_PASSWORD:?run scripts/compose-env.sh first}' },
  redis: { password: '${EVENTFLOW_REDIS_PASSWORD:?run scripts/compose-env.sh first}' },
  grafana: { user: '${EVENTFLOW_GRAFANA_USER:-eventflow}', password: '${EVENTFLOW_GRAFANA_PASSWORD:?run scripts/compose-env.sh first}' },
};

/** Host ports of the compose file (loopback only); `eventflow up` picks free ports instead. */
export const COMPOSE_PORTS: Record<EndpointName, string> = {
  gateway: '${EVENTFLOW_HTTP_PORT:-8080}',
  rabbitmqManagement: '${EVENTFLOW_RABBITMQ_UI_PORT:-15672}',
  prometheus: '${EVENTFLOW_PROMETHEUS_PORT:-9090}',
  grafana: '${EVENTFLOW_GRAFANA_PORT:-3000}',
  postgres: '',
  redis: '',
  amqp: '',
  faultProxy: '${EVENTFLOW_FAULT_PROXY_PORT:-8474}',
};

/** Repo files mounted instead of copied (compose reads them from the working tree). */
const MOUNTS: Record<string, string[]> = {
  nginx: ['./system/nginx/default.conf:/etc/nginx/conf.d/default.conf:ro', './system/web:/usr/share/eventflow/web:ro'],
  prometheus: ['./system/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './system/prometheus/rules:/etc/prometheus/rules:ro'],
  grafana: ['./dashboards/provisioning:/etc/grafana/provisioning:ro', './dashboards:/var/lib/grafana/dashboards:ro'],
};

const dur = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
/** `$` in container-side strings must not be interpolated by compose. */
const escape = (s: string): string => s.replace(/\$(?!\{EVENTFLOW_)/g, '$$$$');

export function composeHealthcheck(h: HealthCheckSpec): Record<string, unknown> {
  return { test: h.test.map(escape), interval: dur(h.intervalMs), timeout: dur(h.timeoutMs), retries: h.retries, start_period: dur(h.startPeriodMs) };
}

function composeService(s: ServiceSpec, topo: Topology): Record<string, unknown> {
  const out: Record<string, unknown> = { image: s.image };
  if (s.role === 'app' && s.name === topo.services.find((x) => x.role === 'app')?.name) {
    // One build for all app services (they share the image).
    out.build = { context: '.', dockerfile: 'system/Dockerfile', args: { NODE_IMAGE: imageFor(topo.imageSet, 'node') } };
  }
  if (s.entrypoint) out.entrypoint = s.entrypoint;
  if (s.command) out.command = s.command;
  if (Object.keys(s.env).length > 0) out.environment = s.env;
  if (s.published.length > 0) out.ports = s.published.map((p) => `127.0.0.1:${COMPOSE_PORTS[p.endpoint]}:${p.container}`);
  if (MOUNTS[s.name]) out.volumes = MOUNTS[s.name];
  out.healthcheck = composeHealthcheck(s.healthCheck);
  if (s.cpuShares !== undefined) out.cpu_shares = s.cpuShares;
  if (s.dependsOn.length > 0) out.depends_on = Object.fromEntries(s.dependsOn.map((d) => [d, { condition: 'service_healthy' }]));
  out.networks = { eventflow: { aliases: [s.alias] } };
  out.labels = { 'eventflow.service': s.name, 'eventflow.group': s.group };
  out.restart = 'no';
  return out;
}

export function composeTopology(): Topology {
  const topo = buildTopology({ stackId: 'compose', nodes: 3, imageSet: 'official', credentials: COMPOSE_CREDENTIALS });
  // The compose file is committed: it names the default tag whatever EVENTFLOW_APP_TAG says.
  const services = topo.services.map((s) => (s.role === 'app' ? { ...s, image: appImageName('official', 'latest') } : s));
  return { ...topo, services };
}

export function renderCompose(): { main: string; offline: string } {
  const topo = composeTopology();
  const services = Object.fromEntries(topo.services.map((s) => [s.name, composeService(s, topo)]));
  const header = `# EventFlow, the classic way: \`docker compose up --build -d\` (or docker-compose).
# Rendered from cli/stack/topology.ts (the same stack \`eventflow up\` runs; regenerate with
# \`node --import tsx cli/stack/compose.ts\`). Build first: \`npm ci && npm run build\`.
# Hosts without an image registry: add \`-f docker-compose.offline.yml\` (images from \`npm run images:offline\`).
# Credentials have no defaults: \`bash scripts/compose-env.sh\` writes a .env with random passwords (compose reads it).
`;
  const main = header + stringify({ services, networks: { eventflow: { labels: { 'eventflow.compose': 'true' } } } }, { lineWidth: 0, version: '1.1' });

  const off: Record<string, unknown> = {};
  const offTopo = buildTopology({ stackId: 'compose', nodes: 3, imageSet: 'offline', credentials: COMPOSE_CREDENTIALS });
  for (const s of offTopo.services) {
    const entry: Record<string, unknown> = { image: s.role === 'app' ? appImageName('offline', 'latest') : s.image };
    if (s.role === 'app' && s.name === offTopo.services.find((x) => x.role === 'app')?.name) {
      entry.build = { context: '.', dockerfile: 'system/Dockerfile', args: { NODE_IMAGE: imageFor('offline', 'node') } };
    }
    off[s.name] = entry;
  }
  for (const s of offTopo.skipped) {
    // An override cannot delete a service: put it behind a profile nobody enables.
    off[s.name] = { profiles: ['needs-registry'] };
  }
  const offline = `# Override for hosts without an image registry: every image built locally from Debian packages
# (\`npm run images:offline\`). Grafana has no Debian package, so it is left out (profile "needs-registry").
#   docker compose -f docker-compose.yml -f docker-compose.offline.yml up --build -d
# Rendered from cli/stack/topology.ts; regenerate with \`node --import tsx cli/stack/compose.ts\`.
${stringify({ services: off }, { lineWidth: 0, version: '1.1' })}`;
  return { main, offline };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { packageRoot } = await import('../package.js');
  const { main, offline } = renderCompose();
  writeFileSync(join(packageRoot(), 'docker-compose.yml'), main);
  writeFileSync(join(packageRoot(), 'docker-compose.offline.yml'), offline);
  process.stdout.write('wrote docker-compose.yml, docker-compose.offline.yml\n');
}
