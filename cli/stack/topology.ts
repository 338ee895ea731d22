/**
 * The ONE definition of the EventFlow stack. The Testcontainers runtime, the
 * endpoint table printed to users, the rendered NGINX/Prometheus config and the
 * test that docker-compose.yml agrees with the stack are all derived from it.
 */
import { appImageName, imageFor, type ImageRole, type ImageSetName } from './images.js';
import type { ServiceGroup, StackCredentials } from './types.js';
import { renderNginxConf, renderPrometheusYml } from './render.js';
import { generateCredentials } from './credentials.js';
import { routeThroughProxy } from './faults/proxy-wiring.js';
import { PROXY_API_PORT } from './faults/toxic.js';
import { ANALYTICS_PORT, API_PORT, NOTIFIER_PORT, WEB_ROOT_IN_CONTAINER, apiNodeNames, connectionUrls } from './addresses.js';

export const DEFAULT_STACK_ID = 'default';
export const DEFAULT_NODES = 3;
export const MAX_NODES = 9;

export const LABEL_STACK = 'eventflow.stack';
export const LABEL_SERVICE = 'eventflow.service';
export const LABEL_GROUP = 'eventflow.group';
export const LABEL_IMAGE_SET = 'eventflow.image-set';
export const LABEL_NODES = 'eventflow.nodes';

export type EndpointName = 'gateway' | 'rabbitmqManagement' | 'amqp' | 'prometheus' | 'grafana' | 'postgres' | 'redis' | 'faultProxy';

export interface HealthCheckSpec {
  /** Docker HEALTHCHECK test (`CMD` / `CMD-SHELL` form); identical in docker-compose.yml. */
  test: ['CMD-SHELL', string] | ['CMD', ...string[]];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface PublishedPort {
  /** Port inside the container; published on 127.0.0.1 (random host port for `eventflow up`). */
  container: number;
  endpoint: EndpointName;
}

export type FileSpec =
  /** A file or folder of the repository (path relative to the repo root). `optional`: skipped when absent. */
  | { kind: 'path'; source: string; target: string; optional?: boolean }
  /** Content rendered from the topology. */
  | { kind: 'content'; content: string; target: string };

export interface ServiceSpec {
  name: string;
  group: ServiceGroup;
  /** Which entry of the image set (or `app` = the image built from system/Dockerfile). */
  role: ImageRole | 'app';
  image: string;
  entrypoint?: string[];
  command?: string[];
  env: Record<string, string>;
  /** Ports the service listens on inside the network (reached as `<alias>:<port>`). */
  ports: number[];
  published: PublishedPort[];
  healthCheck: HealthCheckSpec;
  /**
   * A log line that says "probably ready now" (official and offline images print the same):
   * `eventflow up` runs the health check at once when it appears instead of polling blindly.
   * Only a hint: the health check decides.
   */
  readyLog?: string;
  /** Services that must be healthy before this one starts. */
  dependsOn: string[];
  alias: string;
  files: FileSpec[];
  /** CPU weight when the host's cores are contended (Docker `cpu_shares`; unset: Docker's 1024). Not a limit. */
  cpuShares?: number;
}

export interface TopologyOptions {
  stackId?: string;
  nodes?: number;
  imageSet: ImageSetName;
  credentials: StackCredentials;
}

export interface Topology {
  stackId: string;
  nodes: number;
  imageSet: ImageSetName;
  services: ServiceSpec[];
  /** Services of the full stack left out of this image set, with the reason (shown to the user). */
  skipped: { name: string; reason: string }[];
}

/**
 * Every health check runs every 2 s (Docker 20.10 has no faster start interval): a
 * compromise between start-up latency and the CPU that probes cost on a small host.
 */
const HEALTH = { intervalMs: 2000, timeoutMs: 5000, retries: 3, startPeriodMs: 60_000 } as const;

/**
 * PostgreSQL's CPU weight, 4 × every other container's (1024). Every purchase of an event takes that event's row
 * lock and holds it until its commit is flushed, so purchases of a hot event run one after another inside
 * PostgreSQL; when the host's cores are busy with the gateway, the nodes and the proxy, a backend descheduled
 * while it holds the lock stalls every purchase behind it. With the weight it is scheduled first: synchronous
 * purchases through the gateway went from 0.66–0.78 to 0.93–0.95 × pgbench on a 2-core host (docs/benchmarks.md).
 * A weight only matters under contention, and it is not a cap: an idle database takes nothing from anyone.
 */
export const POSTGRES_CPU_SHARES = 4096;

/**
 * An HTTP probe in plain bash (both node images have bash; starting a Node process
 * every interval costs far more CPU): the status line must say 200.
 */
function httpProbe(port: number, path: string): ['CMD', ...string[]] {
  return [
    'CMD',
    'bash',
    '-c',
    `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET ${path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -c 12 <&3 | grep -q ' 200'`,
  ];
}

export function validateStackId(id: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(id)) {
    throw new Error(`invalid stack id "${id}": use 1-31 characters a-z, 0-9 and "-", starting with a letter or digit`);
  }
  return id;
}

/** The stack to act on: `--stack`, else $EVENTFLOW_STACK, else "default". */
export function resolveStackId(id?: string): string {
  return validateStackId(id ?? process.env.EVENTFLOW_STACK ?? DEFAULT_STACK_ID);
}

export function buildTopology(opts: TopologyOptions): Topology {
  const stackId = validateStackId(opts.stackId ?? DEFAULT_STACK_ID);
  const nodes = opts.nodes ?? DEFAULT_NODES;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new Error(`--nodes must be an integer from 1 to ${MAX_NODES} (got ${nodes})`);
  }
  const set = opts.imageSet;
  const c = opts.credentials;
  const img = (role: ImageRole): string => {
    const name = imageFor(set, role);
    if (!name) throw new Error(`image set "${set}" has no ${role} image`);
    return name;
  };

  const pg = c.postgres;
  const { postgres: databaseUrl, redis: redisUrl, amqp: amqpUrl } = connectionUrls(c);
  const apiNames = apiNodeNames(nodes);
  const peers = apiNames.map((n) => `${n}:${API_PORT}`).join(',');
  const backing = ['postgres', 'redis', 'rabbitmq'];

  const services: ServiceSpec[] = [
    {
      name: 'postgres',
      group: 'db',
      role: 'postgres',
      image: img('postgres'),
      env: { POSTGRES_USER: pg.user, POSTGRES_PASSWORD: pg.password, POSTGRES_DB: pg.database },
      ports: [5432],
      published: [{ container: 5432, endpoint: 'postgres' }],
      // -h 127.0.0.1: the official image's init-time server listens on the socket only.
      readyLog: 'ready to accept connections',
      healthCheck: { ...HEALTH, test: ['CMD-SHELL', 'pg_isready -q -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'] },
      dependsOn: [],
      alias: 'postgres',
      files: [],
      cpuShares: POSTGRES_CPU_SHARES,
    },
    {
      name: 'redis',
      group: 'cache',
      role: 'redis',
      image: img('redis'),
      command: ['redis-server', '--requirepass', c.redis.password, '--save', '', '--appendonly', 'no'],
      env: { REDIS_PASSWORD: c.redis.password },
      ports: [6379],
      published: [{ container: 6379, endpoint: 'redis' }],
      readyLog: 'Ready to accept connections',
      healthCheck: { ...HEALTH, test: ['CMD-SHELL', 'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG'] },
      dependsOn: [],
      alias: 'redis',
      files: [],
    },
    {
      name: 'rabbitmq',
      group: 'broker',
      role: 'rabbitmq',
      image: img('rabbitmq'),
      env: { RABBITMQ_DEFAULT_USER: c.rabbitmq.user, RABBITMQ_DEFAULT_PASS: c.rabbitmq.password },
      ports: [5672, 15672, 15692],
      published: [
        { container: 5672, endpoint: 'amqp' },
        { container: 15672, endpoint: 'rabbitmqManagement' },
      ],
      // A TCP probe of AMQP and management (rabbitmq-diagnostics boots an Erlang VM: far too heavy every second).
      readyLog: 'Server startup complete',
      healthCheck: { ...HEALTH, test: ['CMD', 'bash', '-c', '</dev/tcp/127.0.0.1/5672 && </dev/tcp/127.0.0.1/15672'] },
      dependsOn: [],
      alias: 'rabbitmq',
      files: [],
    },
  ];

  const app = (name: string, group: ServiceGroup, role: string, port: number, env: Record<string, string>, healthPath: string): ServiceSpec => ({
    name,
    group,
    role: 'app',
    image: appImageName(set),
    // The image's ENTRYPOINT is `node <memory flags> /app/dist/system/main.js`; the role is the first argument.
    command: [role],
    env: { ...env, NODE_ID: name, PORT: String(port), LOG_LEVEL: 'info' },
    ports: [port],
    published: [],
    healthCheck: { ...HEALTH, test: httpProbe(port, healthPath) },
    readyLog: 'listening',
    dependsOn: [...backing],
    alias: name,
    files: [],
  });

  for (const name of apiNames) {
    services.push(
      app(name, 'api', 'api', API_PORT, { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, AMQP_URL: amqpUrl, PEERS: peers }, '/health/node'),
    );
  }
  services.push(app('notifier', 'worker', 'notifier', NOTIFIER_PORT, { DATABASE_URL: databaseUrl, AMQP_URL: amqpUrl }, '/health'));
  services.push(app('analytics', 'analytics', 'analytics', ANALYTICS_PORT, { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl }, '/health'));

  services.push({
    name: 'nginx',
    group: 'balancer',
    role: 'nginx',
    image: img('nginx'),
    env: {},
    ports: [80],
    published: [{ container: 80, endpoint: 'gateway' }],
    healthCheck: { ...HEALTH, test: ['CMD', 'curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1/nginx-health'] },
    // NGINX resolves the upstream names once at start, so the api containers must exist first.
    dependsOn: [...apiNames, 'analytics'],
    alias: 'nginx',
    files: [
      { kind: 'content', content: renderNginxConf({ apiNodes: apiNames }), target: '/etc/nginx/conf.d/default.conf' },
      { kind: 'path', source: 'system/web', target: WEB_ROOT_IN_CONTAINER, optional: true },
    ],
  });

  services.push({
    name: 'prometheus',
    group: 'monitoring',
    role: 'prometheus',
    image: img('prometheus'),
    env: {},
    ports: [9090],
    published: [{ container: 9090, endpoint: 'prometheus' }],
    // promtool ships with both prom/prometheus and Debian's prometheus (which have no common HTTP client);
    // a query answers only once the server is ready.
    readyLog: 'Server is ready to receive web requests',
    healthCheck: { ...HEALTH, test: ['CMD', 'promtool', 'query', 'instant', 'http://127.0.0.1:9090', 'vector(1)'] },
    // Scrape targets may come up later; Prometheus does not need them to start.
    dependsOn: [],
    alias: 'prometheus',
    files: [
      { kind: 'content', content: renderPrometheusYml({ apiNodes: apiNames }), target: '/etc/prometheus/prometheus.yml' },
      { kind: 'path', source: 'system/prometheus/rules', target: '/etc/prometheus/rules', optional: true },
    ],
  });

  const skipped: Topology['skipped'] = [];
  const grafanaImage = imageFor(set, 'grafana');
  if (grafanaImage && c.grafana) {
    services.push({
      name: 'grafana',
      group: 'monitoring',
      role: 'grafana',
      image: grafanaImage,
      env: {
        GF_SECURITY_ADMIN_USER: c.grafana.user,
        GF_SECURITY_ADMIN_PASSWORD: c.grafana.password,
        GF_AUTH_ANONYMOUS_ENABLED: 'false',
        GF_ANALYTICS_REPORTING_ENABLED: 'false',
        GF_ANALYTICS_CHECK_FOR_UPDATES: 'false',
        GF_USERS_ALLOW_SIGN_UP: 'false',
        // Also served by NGINX under /grafana/ (the GUI links there): the published port is random.
        GF_SERVER_ROOT_URL: '%(protocol)s://%(domain)s/grafana/',
        GF_SERVER_SERVE_FROM_SUB_PATH: 'true',
      },
      ports: [3000],
      published: [{ container: 3000, endpoint: 'grafana' }],
      healthCheck: { ...HEALTH, test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:3000/api/health'] },
      dependsOn: ['prometheus'],
      alias: 'grafana',
      files: [
        // dashboards/ (its README): provisioning = datasource uid "prometheus" + a file provider reading
        // /var/lib/grafana/dashboards, where the whole dashboards/ folder goes (json/*.json).
        { kind: 'path', source: 'dashboards/provisioning', target: '/etc/grafana/provisioning', optional: true },
        { kind: 'path', source: 'dashboards', target: '/var/lib/grafana/dashboards', optional: true },
      ],
    });
  } else {
    skipped.push({
      name: 'grafana',
      reason: `the "${set}" image set has no Grafana image (Grafana has no Debian package); dashboards are not served — use --images official on a host with a registry`,
    });
  }

  // The app services always reach postgres/redis/rabbitmq through the fault proxy (pass-through costs ~0.1 ms
  // median), so latency/timeout/reset need no restart; the checker, CLI and health checks connect directly.
  const routed = routeThroughProxy(services, {
    image: appImageName(set),
    group: 'proxy',
    publishApi: [{ container: PROXY_API_PORT, endpoint: 'faultProxy' }],
  });
  return { stackId, nodes, imageSet: set, services: routed, skipped };
}

/**
 * The default topology of `nodes` api nodes, for its names only (validating a scenario file,
 * `eventflow logs` when no stack is up): the official set, so every service of the full stack is in it.
 */
export function defaultTopology(nodes = DEFAULT_NODES): Topology {
  return buildTopology({ nodes, imageSet: 'official', credentials: generateCredentials() });
}

/** Dependency waves: every service starts once all of its dependsOn are healthy. */
export function startWaves(services: ServiceSpec[]): ServiceSpec[][] {
  const done = new Set<string>();
  const left = [...services];
  const waves: ServiceSpec[][] = [];
  while (left.length > 0) {
    const wave = left.filter((s) => s.dependsOn.every((d) => done.has(d) || !services.some((x) => x.name === d)));
    if (wave.length === 0) throw new Error(`dependency cycle among ${left.map((s) => s.name).join(', ')}`);
    for (const s of wave) left.splice(left.indexOf(s), 1);
    for (const s of wave) done.add(s.name);
    waves.push(wave);
  }
  return waves;
}

export function containerName(stackId: string, service: string): string {
  return `eventflow-${stackId}-${service}`;
}

export function networkName(stackId: string): string {
  return `eventflow-${stackId}`;
}

export function stackLabels(stackId: string, s?: Pick<ServiceSpec, 'name' | 'group'>): Record<string, string> {
  return s ? { [LABEL_STACK]: stackId, [LABEL_SERVICE]: s.name, [LABEL_GROUP]: s.group } : { [LABEL_STACK]: stackId };
}
