/**
 * Config files rendered from the topology: NGINX (system/nginx/default.conf),
 * Prometheus (system/prometheus/prometheus.yml). Grafana's provisioning lives in dashboards/provisioning.
 * `eventflow up` copies the rendered text into the containers; the committed
 * files (for docker-compose.yml, 3 api nodes) must equal the rendering:
 * regenerate them with `node --import tsx cli/stack/render.ts`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { packageRoot } from '../package.js';
import { ANALYTICS_PORT, API_PORT, GRAFANA_PORT, NOTIFIER_PORT, PROMETHEUS_PORT, WEB_ROOT_IN_CONTAINER, apiNodeNames } from './addresses.js';

/** The API's own body limit (architecture.md); NGINX answers larger bodies with the same JSON error. */
export const BODY_LIMIT = '16k';
/** Idle upstream connections each NGINX worker keeps (all nodes together). */
const UPSTREAM_KEEPALIVE = 32;

/**
 * Monitoring through the gateway, for the GUI's live panel and its Grafana links. Prometheus:
 * read-only queries only (GET /api/v1/query and /query_range). Both names are resolved per
 * request by Docker's DNS (127.0.0.11), so NGINX starts without them and follows a restarted
 * container; Grafana is absent from the offline image set (then /grafana/ answers 404).
 */
const MONITORING_LOCATIONS = `
    location ~ ^/prometheus/api/v1/(?<prom_api>query|query_range)$ {
        limit_except GET { deny all; }
        resolver 127.0.0.11 valid=10s ipv6=off;
        set $prometheus_upstream prometheus:${PROMETHEUS_PORT};
        proxy_pass http://$prometheus_upstream/api/v1/$prom_api$is_args$args;
        error_page 502 504 = @prometheus_unavailable;
    }

    location @prometheus_unavailable {
        default_type application/json;
        return 503 '{"status":"error","errorType":"unavailable","error":"Prometheus is not reachable"}';
    }

    location /grafana/ {
        resolver 127.0.0.11 valid=10s ipv6=off;
        set $grafana_upstream grafana:${GRAFANA_PORT};
        proxy_pass http://$grafana_upstream;
        error_page 502 504 = @grafana_absent;
    }

    location @grafana_absent {
        default_type application/json;
        return 404 '{"error":"NOT_FOUND","message":"this stack runs no Grafana (offline image set)"}';
    }`;

export function renderNginxConf({ apiNodes }: { apiNodes: string[] }): string {
  const servers = apiNodes.map((n) => `    server ${n}:${API_PORT} max_fails=1 fail_timeout=2s;`).join('\n');
  const lastResort = apiNodes.map((n) => `    server ${n}:${API_PORT} backup max_fails=0;`).join('\n');
  return `# Rendered from cli/stack/topology.ts for ${apiNodes.length} api node(s). Do not edit by hand:
# \`eventflow up\` renders it per stack; regenerate this copy with \`node --import tsx cli/stack/render.ts\`.
upstream eventflow_api {
${servers}
    # The same nodes again as a last resort, never marked down (max_fails=0): asked only when every node
    # above is marked down. A node is marked for fail_timeout after its *last* failure, which comes up to
    # proxy_connect_timeout after it went away, so a node restarted and healthy again stays out for ~2-3 s;
    # restart the next one within that (a rolling restart on a quiet host: one node a second) and every node
    # was marked at once: NGINX answered "no live upstreams" (503 "no api node answered", no node header)
    # while two nodes were up. Now it tries them (a dead one costs proxy_connect_timeout, at most
    # proxy_next_upstream_tries in all). Marks are per worker process (no shared zone).
${lastResort}
    # Reused connections to the nodes: a fresh TCP connect per request cut the gateway's throughput
    # (docs/benchmarks.md). Partition-safe because of the timeouts below: a reused connection to a
    # node cut off the network fails after proxy_read_timeout (3 s), max_fails=1 takes the node out for
    # fail_timeout, and proxy_next_upstream retries the request on another node (POSTs are idempotent by key).
    # A node closing an idle connection (rolling restart) is an \`error\`, retried the same way.
    keepalive ${UPSTREAM_KEEPALIVE};
    keepalive_requests 10000;
    keepalive_timeout 30s;
}

server {
    # one write per 64 KiB of log lines, not one per request (a proxied request costs NGINX less)
    access_log /var/log/nginx/access.log combined buffer=64k flush=1s;
    listen 80 default_server;
    server_name _;
    root ${WEB_ROOT_IN_CONTAINER};
    index index.html;
    client_max_body_size ${BODY_LIMIT};

    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
    # one id per client request, the same on every retry of it: a keyless POST retried on another node is one purchase
    proxy_set_header X-Request-Id $request_id;
    # proxy_read_timeout bounds a reused connection to a partitioned node (then the request is retried on
    # another node): it is the partition's p99. A slow but live node may then see its request retried
    # elsewhere while it still runs: harmless, since one key is one order id on every node
    # (system/shared/order-id.ts) and a keyless request keeps its X-Request-Id across the retry.
    # A stopped or restarting node's address answers nothing (its container's interface is gone): a connect
    # to it waits the whole proxy_connect_timeout. At 1 s, in a rolling restart (one node a second) each of a
    # request's tries could land on the node that had just gone: three tries, three dead nodes, 3 s, then
    # "no api node answered" (seen in CI). On the stack's bridge a live node's kernel answers a SYN within
    # a millisecond, even when the node is busy or paused, so 250 ms loses nothing and a failover costs 250 ms.
    proxy_connect_timeout 250ms;
    proxy_send_timeout 3s;
    proxy_read_timeout 3s;
    # A node that refuses, times out or answers 502 is skipped; POSTs too (the API is idempotent by key).
    # Not http_503: a node answers 503 when PostgreSQL and RabbitMQ are both down — a verdict about
    # the dependencies, not the node; counting it as a node failure would mark every node down and
    # turn the api's 503 + Retry-After into NGINX's own "no live upstreams".
    proxy_next_upstream error timeout http_502 non_idempotent;
    # every entry of the upstream once (the nodes, then the last-resort tier), all within proxy_next_upstream_timeout
    proxy_next_upstream_tries ${apiNodes.length * 2};
    proxy_next_upstream_timeout 10s;
    add_header X-EventFlow-Upstream $upstream_addr always;

    error_page 413 = @too_large;
    location @too_large {
        default_type application/json;
        return 413 '{"error":"VALIDATION","message":"request body larger than 16 KiB"}';
    }

    location = /nginx-health {
        access_log off;
        default_type text/plain;
        return 200 "ok\\n";
    }

    # The API (every node behind one upstream); /health is the cluster view of whichever node answers.
    location ~ ^/(events|purchase|orders|health)(/|$) {
        proxy_pass http://eventflow_api;
        error_page 502 504 = @api_unavailable;
    }

    location @api_unavailable {
        default_type application/json;
        add_header Retry-After 1 always;
        return 503 '{"error":"UNAVAILABLE","message":"no api node answered"}';
    }

    location /analytics/ {
        proxy_pass http://analytics:${ANALYTICS_PORT}/;
    }
${MONITORING_LOCATIONS}

    # The static GUI (system/web).
    location / {
        try_files $uri $uri/ =404;
    }
}
`;
}

export function renderPrometheusYml({ apiNodes }: { apiNodes: string[] }): string {
  const list = (targets: string[]): string => `[${targets.map((t) => `'${t}'`).join(', ')}]`;
  return `# Rendered from cli/stack/topology.ts for ${apiNodes.length} api node(s). Do not edit by hand:
# regenerate with \`node --import tsx cli/stack/render.ts\`.
global:
  scrape_interval: 5s
  scrape_timeout: 4s
  evaluation_interval: 5s

rule_files: ['/etc/prometheus/rules/*.yml']

scrape_configs:
  - job_name: api
    static_configs:
      - targets: ${list(apiNodes.map((n) => `${n}:${API_PORT}`))}
  - job_name: notifier
    static_configs:
      - targets: ${list([`notifier:${NOTIFIER_PORT}`])}
  - job_name: analytics
    static_configs:
      - targets: ${list([`analytics:${ANALYTICS_PORT}`])}
  - job_name: rabbitmq
    static_configs:
      - targets: ${list(['rabbitmq:15692'])}
  - job_name: prometheus
    static_configs:
      - targets: ${list(['localhost:9090'])}
`;
}

/**
 * The Grafana datasource the stack expects (uid `prometheus`, alias URL). The stack copies
 * dashboards/provisioning into Grafana; this rendering documents the contract and is
 * checked against that folder by system/prometheus/tests/dashboards.test.ts.
 */
export function renderGrafanaDatasource(): string {
  return `apiVersion: 1
datasources:
  - name: Prometheus
    uid: prometheus
    type: prometheus
    access: proxy
    url: http://prometheus:9090
    isDefault: true
    editable: false
    jsonData:
      timeInterval: 5s
`;
}

/** Files committed for docker-compose.yml (3 api nodes), relative to the repo root. */
export function staticConfigFiles(nodes = 3): Record<string, string> {
  const apiNodes = apiNodeNames(nodes);
  return {
    'system/nginx/default.conf': renderNginxConf({ apiNodes }),
    'system/prometheus/prometheus.yml': renderPrometheusYml({ apiNodes }),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const root = packageRoot();
  for (const [path, content] of Object.entries(staticConfigFiles())) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
    process.stdout.write(`wrote ${path}\n`);
  }
}
