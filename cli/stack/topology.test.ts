import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMPOSE_CREDENTIALS, composeHealthcheck, composeTopology, renderCompose } from './compose.js';
import { generateCredentials } from './credentials.js';
import { appImageName, imageFor } from './images.js';
import { packageRoot } from '../package.js';
import { renderNginxConf, renderPrometheusYml, staticConfigFiles } from './render.js';
import { buildTopology, startWaves, validateStackId, type ServiceSpec } from './topology.js';
import { importedPackages } from './app-image.js';
import { installedClosure } from './installed-packages.js';

const creds = generateCredentials();
const topo = (nodes = 3, imageSet: 'official' | 'offline' = 'offline') => buildTopology({ stackId: 't1', nodes, imageSet, credentials: creds });

describe('topology', () => {
  it.each([1, 3, 5])('has %i api nodes with unique names, aliases and PEERS listing all of them', (n) => {
    const t = topo(n);
    const api = t.services.filter((s) => s.group === 'api');
    expect(api.map((s) => s.name)).toEqual(Array.from({ length: n }, (_, i) => `api-${i + 1}`));
    const names = t.services.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    const aliases = t.services.map((s) => s.alias);
    expect(new Set(aliases).size).toBe(aliases.length);
    for (const s of api) {
      expect(s.env.PEERS!.split(',')).toEqual(api.map((x) => `${x.name}:3000`));
      expect(s.env.NODE_ID).toBe(s.name);
    }
    const nginx = t.services.find((s) => s.name === 'nginx')!;
    expect(nginx.dependsOn).toEqual(expect.arrayContaining(api.map((s) => s.name)));
    const conf = nginx.files.find((f) => f.kind === 'content')!;
    for (const s of api) expect(conf.kind === 'content' && conf.content).toContain(`server ${s.name}:3000 max_fails=1`);
  });

  it('publishes only management/data ports, each endpoint once, and nothing of the api nodes', () => {
    const t = topo(3, 'official');
    const endpoints = t.services.flatMap((s) => s.published.map((p) => p.endpoint));
    expect(new Set(endpoints).size).toBe(endpoints.length);
    expect(endpoints.sort()).toEqual(['amqp', 'faultProxy', 'gateway', 'grafana', 'postgres', 'prometheus', 'rabbitmqManagement', 'redis'].sort());
    // of the app image, only the fault proxy publishes (its API, for the CLI)
    for (const s of t.services.filter((x) => x.role === 'app' && x.name !== 'proxy')) expect(s.published).toEqual([]);
    expect(t.services.find((s) => s.name === 'proxy')!.published).toEqual([{ container: 8474, endpoint: 'faultProxy' }]);
    for (const s of t.services) for (const p of s.published) expect(s.ports).toContain(p.container);
  });

  it('gives the services the environment of the architecture contract', () => {
    const t = topo();
    const byName = Object.fromEntries(t.services.map((s) => [s.name, s])) as Record<string, ServiceSpec>;
    expect(Object.keys(byName['api-1']!.env).sort()).toEqual(['AMQP_URL', 'DATABASE_URL', 'LOG_LEVEL', 'NODE_ID', 'PEERS', 'PORT', 'REDIS_URL']);
    expect(Object.keys(byName.notifier!.env).sort()).toEqual(['AMQP_URL', 'DATABASE_URL', 'LOG_LEVEL', 'NODE_ID', 'PORT']);
    expect(Object.keys(byName.analytics!.env).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'NODE_ID', 'PORT', 'REDIS_URL']);
    expect(byName['api-1']!.env.PORT).toBe('3000');
    expect(byName.analytics!.env.PORT).toBe('3001');
    expect(byName.notifier!.env.PORT).toBe('9464');
    // the services reach their dependencies through the fault proxy (cli/stack/faults/proxy-wiring.ts)
    expect(byName['api-1']!.env.DATABASE_URL).toBe(`postgres://${creds.postgres.user}:${creds.postgres.password}@proxy:5432/eventflow`);
    expect(byName['api-1']!.env.REDIS_URL).toBe(`redis://:${creds.redis.password}@proxy:6379`);
    expect(byName['api-1']!.env.AMQP_URL).toBe(`amqp://${creds.rabbitmq.user}:${creds.rabbitmq.password}@proxy:5672`);
    expect(byName.notifier!.env.DATABASE_URL).toContain('@proxy:5432/');
    expect(byName.proxy!.group).toBe('proxy');
    expect(byName['api-1']!.command).toEqual(['api']);
    expect(byName['api-1']!.image).toBe(appImageName('offline'));
  });

  it('starts backing services first, apps after them, nginx last among the data path', () => {
    const waves = startWaves(topo().services).map((w) => w.map((s) => s.name).sort());
    expect(waves[0]).toEqual(['postgres', 'prometheus', 'proxy', 'rabbitmq', 'redis']);
    expect(waves[1]).toEqual(['analytics', 'api-1', 'api-2', 'api-3', 'notifier']);
    expect(waves[2]).toEqual(['nginx']);
  });

  it('uses the image set, and skips Grafana offline with a visible reason', () => {
    const off = topo(3, 'offline');
    expect(off.services.some((s) => s.name === 'grafana')).toBe(false);
    expect(off.skipped).toEqual([{ name: 'grafana', reason: expect.stringContaining('no Grafana') }]);
    for (const s of off.services) expect(s.image.startsWith('localhost/eventflow/')).toBe(true);
    const on = topo(3, 'official');
    expect(on.services.find((s) => s.name === 'grafana')?.image).toBe(imageFor('official', 'grafana'));
    expect(on.skipped).toEqual([]);
  });

  it('rejects bad node counts and stack ids', () => {
    expect(() => topo(0)).toThrow(/--nodes/);
    expect(() => topo(10)).toThrow(/--nodes/);
    expect(() => validateStackId('Bad_Id')).toThrow(/invalid stack id/);
    expect(validateStackId('ci-42')).toBe('ci-42');
  });
});

describe('credentials', () => {
  it('are generated per stack: random, long, never the well-known defaults', () => {
    const a = generateCredentials();
    const b = generateCredentials();
    expect(a.postgres.password).not.toBe(b.postgres.password);
    expect(a.rabbitmq.password).not.toBe(b.rabbitmq.password);
    for (const c of [a, b]) {
      for (const pw of [c.postgres.password, c.rabbitmq.password, c.redis.password, c.grafana!.password]) {
        expect(pw).toMatch(/^[A-Za-z0-9]{20,}$/);
      }
      expect(c.rabbitmq.user).not.toBe('guest');
      expect(c.rabbitmq.password).not.toBe('guest');
      expect(c.grafana!.user).not.toBe('admin');
      expect(c.grafana!.password).not.toBe('admin');
    }
  });
});

describe('rendered config', () => {
  it('nginx: upstream with failover, body limit, GUI, analytics, health', () => {
    const conf = renderNginxConf({ apiNodes: ['api-1', 'api-2'] });
    expect(conf).toContain('server api-1:3000 max_fails=1 fail_timeout=2s;');
    expect(conf).toContain('proxy_next_upstream error timeout http_502 non_idempotent;');
    // every node again as a never-marked backup tier, after the primaries: NGINX never answers "no live
    // upstreams" while a node is up (rolling-restart: every node marked down at once, two of them healthy)
    const upstream = conf.slice(conf.indexOf('upstream eventflow_api {'), conf.indexOf('}'));
    expect(upstream.match(/^ {4}server .*$/gm)).toEqual([
      '    server api-1:3000 max_fails=1 fail_timeout=2s;',
      '    server api-2:3000 max_fails=1 fail_timeout=2s;',
      '    server api-1:3000 backup max_fails=0;',
      '    server api-2:3000 backup max_fails=0;',
    ]);
    expect(conf).toContain('client_max_body_size 16k;');
    expect(conf).toContain('location /analytics/ {\n        proxy_pass http://analytics:3001/;');
    expect(conf).toMatch(/location ~ \^\/\(events\|purchase\|orders\|health\)/);
    expect(conf).toContain('root /usr/share/eventflow/web;');
    // The API upstream is resolved once at start; only the monitoring locations resolve per request.
    expect(conf.slice(0, conf.indexOf('location ~ ^/prometheus/'))).not.toContain('resolver');
  });

  it('nginx: Prometheus for the GUI read-only (GET, query and query_range only); Grafana under /grafana/', () => {
    const conf = renderNginxConf({ apiNodes: ['api-1'] });
    const block = conf.slice(conf.indexOf('location ~ ^/prometheus/'), conf.indexOf('location @prometheus_unavailable'));
    expect(block).toContain('location ~ ^/prometheus/api/v1/(?<prom_api>query|query_range)$ {');
    expect(block).toContain('limit_except GET { deny all; }');
    expect(block).toContain('proxy_pass http://$prometheus_upstream/api/v1/$prom_api$is_args$args;');
    expect(conf).toContain('set $grafana_upstream grafana:3000;');
    expect(conf.match(/location ~[^{]*prometheus[^{]*\{/g)).toHaveLength(1);
  });

  it('prometheus: the five jobs, all api nodes, the rules folder', () => {
    const y = parse(renderPrometheusYml({ apiNodes: ['api-1', 'api-2', 'api-3', 'api-4'] })) as {
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    expect(y.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    expect(y.scrape_configs.map((j) => j.job_name)).toEqual(['api', 'notifier', 'analytics', 'rabbitmq', 'prometheus']);
    expect(y.scrape_configs[0]!.static_configs[0]!.targets).toEqual(['api-1:3000', 'api-2:3000', 'api-3:3000', 'api-4:3000']);
    expect(y.scrape_configs[3]!.static_configs[0]!.targets).toEqual(['rabbitmq:15692']);
  });

  it('the committed copies (for docker-compose.yml) equal the rendering', () => {
    for (const [path, content] of Object.entries(staticConfigFiles())) {
      expect(readFileSync(join(packageRoot(), path), 'utf8'), `${path} is stale: node --import tsx cli/stack/render.ts`).toBe(content);
    }
  });
});

describe('docker-compose.yml agrees with the topology', () => {
  const root = packageRoot();
  const main = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
  const offline = parse(readFileSync(join(root, 'docker-compose.offline.yml'), 'utf8')) as { services: Record<string, Record<string, unknown>> };
  const t = composeTopology();

  it('is the current rendering (regenerate with node --import tsx cli/stack/compose.ts)', () => {
    const r = renderCompose();
    expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).toBe(r.main);
    expect(readFileSync(join(root, 'docker-compose.offline.yml'), 'utf8')).toBe(r.offline);
  });

  it('has the same services, images, commands, env keys, ports, health checks and dependencies', () => {
    expect(Object.keys(main.services).sort()).toEqual(t.services.map((s) => s.name).sort());
    for (const s of t.services) {
      const c = main.services[s.name]!;
      expect(c.image, s.name).toBe(s.role === 'app' ? appImageName('official', 'latest') : imageFor('official', s.role as never));
      expect(c.command, s.name).toEqual(s.command);
      expect(Object.keys((c.environment as Record<string, string>) ?? {}).sort(), s.name).toEqual(Object.keys(s.env).sort());
      const ports = ((c.ports as string[]) ?? []).map((p) => Number(p.split(':').at(-1)));
      expect(ports, s.name).toEqual(s.published.map((p) => p.container));
      for (const p of (c.ports as string[]) ?? []) expect(p.startsWith('127.0.0.1:'), `${s.name} ${p}`).toBe(true);
      expect(c.healthcheck, s.name).toEqual(composeHealthcheck(s.healthCheck));
      expect(Object.keys((c.depends_on as object) ?? {}).sort(), s.name).toEqual([...s.dependsOn].sort());
      expect((c.networks as { eventflow: { aliases: string[] } }).eventflow.aliases).toEqual([s.alias]);
    }
    expect(COMPOSE_CREDENTIALS.rabbitmq.password).not.toMatch(/guest/);
  });

  it('the offline override swaps every image for the offline set and leaves Grafana out', () => {
    const ot = buildTopology({ stackId: 'x', nodes: 3, imageSet: 'offline', credentials: COMPOSE_CREDENTIALS });
    for (const s of ot.services) {
      expect(offline.services[s.name]?.image, s.name).toBe(s.role === 'app' ? appImageName('offline', 'latest') : imageFor('offline', s.role as never));
    }
    expect(offline.services.grafana).toEqual({ profiles: ['needs-registry'] });
  });
});

describe('app image inputs', () => {
  // A clone (repo/node_modules) and an installed package (deps hoisted beside node_modules/eventflow).
  it.each([
    { layout: 'clone', root: 'repo', top: 'repo' },
    { layout: 'installed package', root: 'proj/node_modules/eventflow', top: 'proj' },
  ])('resolves the production closure from node_modules as Node does ($layout)', async ({ root, top }) => {
    const { mkdtempSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const base = mkdtempSync(join(tmpdir(), 'ef-closure-'));
    const pkg = (dir: string, name: string, version: string, deps: Record<string, string> = {}, extra: object = {}) => {
      mkdirSync(join(base, dir), { recursive: true });
      writeFileSync(join(base, dir, 'package.json'), JSON.stringify({ name, version, dependencies: deps, ...extra }));
    };
    pkg(root, 'eventflow', '0.1.0', { a: '^1' });
    pkg(`${top}/node_modules/a`, 'a', '1.0.0', { b: '^1' }, { optionalDependencies: { 'not-installed': '^1' } });
    pkg(`${top}/node_modules/b`, 'b', '1.0.0', { c: '^2' });
    pkg(`${top}/node_modules/b/node_modules/c`, 'c', '2.0.0');
    pkg(`${top}/node_modules/c`, 'c', '1.0.0');
    pkg(`${top}/node_modules/dev-only`, 'dev-only', '1.0.0');
    const closure = installedClosure(join(base, root), ['a']);
    expect(closure.map((m) => [m.target, m.version])).toEqual([
      ['node_modules/a', '1.0.0'],
      ['node_modules/b', '1.0.0'],
      ['node_modules/b/node_modules/c', '2.0.0'],
    ]);
    expect(() => installedClosure(join(base, root), ['missing'])).toThrow(/"missing" \(needed by eventflow\) is not installed/);
  });

  it('reads import specifiers of compiled files', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'ef-imports-'));
    const f = join(dir, 'x.js');
    writeFileSync(f, `import a from 'fastify';\nimport { Pool } from "pg";\nimport x from './local.js';\nimport fs from 'node:fs';\nconst m = await import('@scope/pkg/sub');\n`);
    expect([...importedPackages([f])].sort()).toEqual(['@scope/pkg', 'fastify', 'pg']);
  });
});
