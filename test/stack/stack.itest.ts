/**
 * The whole stack with the offline images: every service healthy, every
 * endpoint answering, `status` from a second process, every fault handle on a
 * real container, then `down` leaves nothing with the stack's label.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectDocker } from '../../cli/stack/docker.js';
import { listStackContainers, listStackNetworks, listStackVolumes } from '../../cli/stack/containers.js';
import { startStack, stopStack, type DockerStack } from '../../cli/stack/stack.js';
import { POSTGRES_CPU_SHARES } from '../../cli/stack/topology.js';
import type { ProgressEvent, StackEndpoints } from '../../cli/stack/types.js';
import { until } from '../support/wait.js';
import { cliBuilt, runCli } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'eventflow-stack-itest-'));
process.env.EVENTFLOW_HOME = home;
const stackId = `itest-${randomBytes(3).toString('hex')}`;
const env = { EVENTFLOW_HOME: home };

let stack: DockerStack;
let ep: StackEndpoints;
const events: ProgressEvent[] = [];

async function get(url: string, init?: RequestInit): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
}

async function pgSelect1(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const r = await client.query('select 1 as one');
    return r.rows[0]?.one === 1;
  } finally {
    await client.end().catch(() => {});
  }
}

describe('eventflow up: the full stack (offline images)', () => {
  beforeAll(async () => {
    if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
    stack = (await startStack({ stackId, nodes: 3, imageSet: 'offline', onProgress: (e) => events.push(e) })) as DockerStack;
    ep = await stack.endpoints();
  }, 600_000);

  afterAll(async () => {
    await stopStack(stackId).catch(() => {});
  }, 120_000);

  it('reports live progress per service and ends with every service healthy', async () => {
    for (const name of stack.serviceNames()) {
      expect(events.some((e) => e.service === name && e.phase === 'healthy'), name).toBe(true);
    }
    expect(events.some((e) => e.service === 'grafana' && e.phase === 'skipped')).toBe(true);
    const services = await stack.services();
    expect(services.map((s) => s.name)).toEqual(['postgres', 'redis', 'rabbitmq', 'proxy', 'api-1', 'api-2', 'api-3', 'notifier', 'analytics', 'nginx', 'prometheus']);
    for (const s of services) expect(s, s.name).toMatchObject({ state: 'running', healthy: true, connected: true });
    expect(stack.servicesInGroup('api')).toEqual(['api-1', 'api-2', 'api-3']);
  });

  it('publishes management ports on 127.0.0.1 only', async () => {
    const { docker } = await connectDocker();
    for (const c of await listStackContainers(docker, stackId)) {
      for (const p of c.Ports ?? []) if (p.PublicPort) expect(p.IP, `${c.Names[0]} ${p.PrivatePort}`).toBe('127.0.0.1');
    }
    for (const url of [ep.gateway, ep.rabbitmqManagement, ep.prometheus]) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(ep.grafana).toBeUndefined();
  });

  it('gives PostgreSQL 4 × the CPU weight of every other container (the hot row lock; topology.ts)', async () => {
    const { docker } = await connectDocker();
    const shares: Record<string, number> = {};
    for (const c of await listStackContainers(docker, stackId)) {
      const info = await docker.getContainer(c.Id).inspect();
      shares[c.Labels['eventflow.service'] ?? c.Names[0]!] = info.HostConfig.CpuShares || 1024; // 0 = Docker's default, 1024
    }
    expect(shares.postgres).toBe(POSTGRES_CPU_SHARES);
    for (const [name, weight] of Object.entries(shares)) if (name !== 'postgres') expect(weight, name).toBe(1024);
  });

  it('serves the GUI page, the API and /health listing the 3 nodes through NGINX', async () => {
    const page = await get(`${ep.gateway}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);
    const events = await get(`${ep.gateway}/events`);
    expect(events.status).toBe(200);
    expect(events.headers.get('x-eventflow-node')).toMatch(/^api-[123]$/);
    await until(
      '/health listing api-1, api-2 and api-3 as up',
      async () => {
        const r = await get(`${ep.gateway}/health`);
        const body = (await r.json()) as { nodes: { node: string; up: boolean }[] };
        const up = new Set(body.nodes.filter((n) => n.up).map((n) => n.node.replace(/:\d+$/, '')));
        return r.status === 200 && ['api-1', 'api-2', 'api-3'].every((n) => up.has(n));
      },
      30_000,
      1000,
    );
    const analytics = await get(`${ep.gateway}/analytics/health`);
    expect(analytics.status).toBe(200);
  });

  it('answers on the RabbitMQ management API with the generated credentials only', async () => {
    const { user, password } = stack.credentials.rabbitmq;
    expect(user).not.toBe('guest');
    const auth = (u: string, p: string) => ({ headers: { authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` } });
    const ok = await get(`${ep.rabbitmqManagement}/api/whoami`, auth(user, password));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { name: string }).name).toBe(user);
    expect((await get(`${ep.rabbitmqManagement}/api/whoami`, auth('guest', 'guest'))).status).toBe(401);
  });

  it('has Prometheus scraping every target successfully', async () => {
    let last: { job: string; instance: string; health: string }[] = [];
    const allUp = await until(
      'Prometheus scraping 7 targets, all up',
      async () => {
        const r = await get(`${ep.prometheus}/api/v1/targets`);
        const body = (await r.json()) as { data: { activeTargets: { labels: { job: string; instance: string }; health: string }[] } };
        last = body.data.activeTargets.map((t) => ({ ...t.labels, health: t.health }));
        return last.length === 7 && last.every((t) => t.health === 'up');
      },
      60_000,
      2000,
    ).catch(() => false);
    expect(allUp, JSON.stringify(last)).toBe(true);
    expect(new Set(last.map((t) => t.job))).toEqual(new Set(['api', 'notifier', 'analytics', 'rabbitmq', 'prometheus']));
  });

  it('is found by `eventflow status` in a second process, and `up` again does not duplicate it', async () => {
    const r = await runCli(['status', '--stack', stackId, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { up: boolean; services: { name: string; healthy: boolean }[] };
    expect(status.up).toBe(true);
    expect(status.services.map((s) => s.name)).toEqual(stack.serviceNames());
    expect(status.services.every((s) => s.healthy)).toBe(true);

    const t0 = Date.now();
    const again = await startStack({ stackId, imageSet: 'offline' });
    expect(again.alreadyUp).toBe(true);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const { docker } = await connectDocker();
    expect(await listStackContainers(docker, stackId)).toHaveLength(11);

    const human = await runCli(['up', '--stack', stackId, '--images', 'offline'], env);
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/already up/);
    expect(human.stdout).toMatch(/credentials \(generated for this stack\)/);
  });

  it('kill → start: healthy again, endpoints re-read (fresh host ports)', async () => {
    const before = ep.postgresUrl;
    await stack.faults.kill('postgres');
    expect(await stack.faults.isHealthy('postgres')).toBe(false);
    expect((await stack.endpoints()).postgresUrl).toBe('');
    await stack.faults.start('postgres');
    await stack.faults.waitHealthy!('postgres', 120_000);
    const after = (await stack.endpoints()).postgresUrl;
    expect(after).not.toBe('');
    expect(await pgSelect1(after)).toBe(true);
    // Docker allocates a new host port on start; we never rely on the old one.
    expect(after === before || new URL(after).port !== new URL(before).port).toBe(true);

    await stack.faults.kill('api-2', 'SIGTERM');
    await until('api-2 unhealthy after SIGTERM', async () => !(await stack.faults.isHealthy('api-2')), 20_000, 500);
    await stack.faults.start('api-2');
    await stack.faults.waitHealthy!('api-2', 120_000);
  });

  it('pause → unpause', async () => {
    await stack.faults.pause('redis');
    expect(await stack.faults.isHealthy('redis')).toBe(false);
    expect((await stack.services()).find((s) => s.name === 'redis')?.state).toBe('paused');
    await stack.faults.pause('redis'); // idempotent
    await stack.faults.unpause('redis');
    await stack.faults.waitHealthy!('redis', 60_000);
    expect(await stack.faults.isHealthy('redis')).toBe(true);
  });

  it('disconnect → reconnect (alias restored; the gateway keeps answering meanwhile)', async () => {
    await stack.faults.disconnect('api-1');
    expect((await stack.services()).find((s) => s.name === 'api-1')?.connected).toBe(false);
    for (let i = 0; i < 6; i++) {
      const r = await get(`${ep.gateway}/events`);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-eventflow-node')).not.toBe('api-1');
    }
    await stack.faults.reconnect('api-1');
    await stack.faults.reconnect('api-1'); // idempotent
    expect((await stack.services()).find((s) => s.name === 'api-1')?.connected).toBe(true);
    await until(
      'the gateway routing to api-1 again',
      async () => (await get(`${ep.gateway}/events`)).headers.get('x-eventflow-node') === 'api-1',
      30_000,
      200,
    );
  });

  it('stop → restart', async () => {
    await stack.faults.stop('notifier');
    expect((await stack.services()).find((s) => s.name === 'notifier')?.state).toBe('exited');
    await stack.faults.restart('notifier');
    await stack.faults.waitHealthy!('notifier', 120_000);
    expect(await stack.faults.isHealthy('notifier')).toBe(true);
  });

  it('logs of a service from a second process', async () => {
    const r = await runCli(['logs', 'nginx', '--stack', stackId, '--tail', '5'], env);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
  });

  it('down removes every container, network and volume with the stack label; twice is fine', async () => {
    const r = await runCli(['down', '--stack', stackId], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`stack "${stackId}" removed`));
    const { docker } = await connectDocker();
    expect(await listStackContainers(docker, stackId)).toEqual([]);
    expect(await listStackNetworks(docker, stackId)).toEqual([]);
    expect(await listStackVolumes(docker, stackId)).toEqual([]);
    const again = await runCli(['down', '--stack', stackId], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing to remove/);
  });
});
