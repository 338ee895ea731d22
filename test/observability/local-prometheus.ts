/**
 * Test helpers: a real Prometheus (the host's Debian binary, /usr/bin/prometheus)
 * on a loopback port, and a fake EventFlow exporter whose metric values a test
 * drives. Everything binds to 127.0.0.1 and is stopped by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const PROMETHEUS_BIN = process.env.EVENTFLOW_PROMETHEUS_BIN ?? '/usr/bin/prometheus';

export function prometheusMissing(): string | undefined {
  return existsSync(PROMETHEUS_BIN)
    ? undefined
    : `Prometheus not found at ${PROMETHEUS_BIN}: install the Debian package "prometheus" (scripts/provision.sh) or set EVENTFLOW_PROMETHEUS_BIN`;
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A metric family in the text exposition format; the test mutates `samples`. */
export interface FakeFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: { labels: Record<string, string>; value: number; suffix?: string }[];
}

export class FakeExporter {
  families: FakeFamily[] = [];
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(this.render());
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  render(): string {
    const lines: string[] = [];
    for (const f of this.families) {
      lines.push(`# HELP ${f.name} fake`, `# TYPE ${f.name} ${f.type}`);
      for (const s of f.samples) {
        const l = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
          .join(',');
        lines.push(`${f.name}${s.suffix ?? ''}${l ? `{${l}}` : ''} ${s.value}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }

  set(name: string, labels: Record<string, string>, value: number, suffix = ''): void {
    const f = this.families.find((x) => x.name === name);
    if (!f) throw new Error(`no family ${name}`);
    const key = JSON.stringify(labels);
    const s = f.samples.find((x) => JSON.stringify(x.labels) === key && (x.suffix ?? '') === suffix);
    if (s) s.value = value;
    else f.samples.push({ labels, value, suffix });
  }

  add(name: string, labels: Record<string, string>, delta: number, suffix = ''): void {
    const f = this.families.find((x) => x.name === name)!;
    const key = JSON.stringify(labels);
    const s = f.samples.find((x) => JSON.stringify(x.labels) === key && (x.suffix ?? '') === suffix);
    this.set(name, labels, (s?.value ?? 0) + delta, suffix);
  }

  async stop(): Promise<void> {
    await new Promise((r) => (this.server ? this.server.close(r) : r(undefined)));
  }
}

export interface LocalPrometheus {
  url: string;
  dir: string;
  stop(): Promise<void>;
}

/** Start Prometheus with `config` (YAML text; `__DIR__` is replaced by its temp dir, where `files` are written). */
export async function startLocalPrometheus(config: string, files: Record<string, string> = {}): Promise<LocalPrometheus> {
  const missing = prometheusMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'eventflow-prom-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'prometheus.yml'), config.replaceAll('__DIR__', dir));
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const t = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(t);
          r();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const r = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (r.ok) return { url, dir, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`Prometheus did not become ready on ${url}: ${stderr}`);
}

/** Families shaped like the contract (docs/architecture.md) for one api node + notifier. */
export function contractFamilies(): FakeFamily[] {
  const api = { service: 'api', node: 'api-1' };
  const notifier = { service: 'notifier', node: 'notifier' };
  const hist: FakeFamily = { name: 'eventflow_http_request_duration_seconds', type: 'histogram', samples: [] };
  for (const le of ['0.05', '0.1', '0.5', '+Inf']) hist.samples.push({ labels: { ...api, method: 'POST', route: '/purchase', status_code: '201', le }, value: 0, suffix: '_bucket' });
  hist.samples.push({ labels: { ...api, method: 'POST', route: '/purchase', status_code: '201' }, value: 0, suffix: '_count' });
  hist.samples.push({ labels: { ...api, method: 'POST', route: '/purchase', status_code: '201' }, value: 0, suffix: '_sum' });
  return [
    hist,
    {
      name: 'eventflow_purchases_total',
      type: 'counter',
      samples: ['confirmed', 'accepted_async', 'rejected', 'refused', 'invalid'].map((outcome) => ({ labels: { ...api, outcome }, value: 0 })),
    },
    {
      name: 'eventflow_dependency_up',
      type: 'gauge',
      samples: ['postgres', 'redis', 'rabbitmq'].flatMap((dependency) => [
        { labels: { ...api, dependency }, value: 1 },
        ...(dependency === 'redis' ? [] : [{ labels: { ...notifier, dependency }, value: 1 }]),
      ]),
    },
    { name: 'eventflow_circuit_breaker_state', type: 'gauge', samples: [{ labels: { ...api, dependency: 'postgres' }, value: 0 }] },
    { name: 'eventflow_cache_requests_total', type: 'counter', samples: ['hit', 'miss', 'error'].map((result) => ({ labels: { ...api, result }, value: 0 })) },
    { name: 'eventflow_notifier_messages_total', type: 'counter', samples: ['confirmed', 'rejected', 'duplicate'].map((result) => ({ labels: { ...notifier, result }, value: 0 })) },
    { name: 'eventflow_notifier_retries_total', type: 'counter', samples: [{ labels: notifier, value: 0 }] },
    { name: 'eventflow_notifier_dead_lettered_total', type: 'counter', samples: [{ labels: { ...notifier, reason: 'malformed' }, value: 0 }] },
    { name: 'eventflow_notifier_queue_messages', type: 'gauge', samples: ['purchases', 'retry', 'dead'].map((queue) => ({ labels: { ...notifier, queue }, value: 0 })) },
  ];
}

/** Wait (bounded) until Prometheus has scraped `job` at least once. */
export async function waitForFirstScrape(url: string, job: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const r = (await (await fetch(`${url}/api/v1/query?query=${encodeURIComponent(`up{job="${job}"} == 1`)}`, { signal: AbortSignal.timeout(2000) })).json()) as {
        data: { result: unknown[] };
      };
      if (r.data.result.length > 0) return;
    } catch {
      // retry
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Prometheus at ${url} did not scrape job "${job}" within ${timeoutMs} ms`);
}
