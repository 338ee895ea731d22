/** `eventflow up | status | logs | down | doctor`. */
import { Command, InvalidArgumentError, Option } from 'commander';
import chalk from 'chalk';
import { createServer } from 'node:net';
import { lookup } from 'node:dns/promises';
import { connect } from 'node:net';
import { InfrastructureError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { IMAGE_SETS, appImageName, resolveImageSet, type ImageSetName } from '../stack/images.js';
import { DEFAULT_NODES, MAX_NODES, buildTopology, type EndpointName } from '../stack/topology.js';
import { generateCredentials } from '../stack/credentials.js';
import { DockerStack, openDockerStack, resolveStackId, startStack, stopStack } from '../stack/stack.js';
import { connectDocker, dockerTarget, noDockerParagraph, probeDocker } from '../stack/docker.js';
import { listStackIds } from '../stack/containers.js';
import { INPUTS_LABEL, planAppImage, imageId } from '../stack/app-image.js';
import type { ProgressEvent } from '../stack/types.js';

function parseNodes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_NODES) throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_NODES}`);
  return n;
}

function parseTail(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

const stackOption = (): Option => new Option('--stack <id>', 'stack id (several stacks can run side by side)').env('EVENTFLOW_STACK');

function imageSetOption(): Option {
  return new Option('--images <set>', 'image set: official (public images) or offline (built from Debian packages)').choices(['official', 'offline']).env('EVENTFLOW_IMAGES');
}

const ENDPOINT_LABELS: [EndpointName, string][] = [
  ['gateway', 'GUI + API (NGINX)'],
  ['rabbitmqManagement', 'RabbitMQ management'],
  ['prometheus', 'Prometheus'],
  ['grafana', 'Grafana'],
  ['postgres', 'PostgreSQL'],
  ['redis', 'Redis'],
  ['amqp', 'AMQP'],
];

function secs(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => plain(r[i] ?? '').length)));
  const fmt = (r: string[]): string =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - plain(cell).length)))
      .join('  ')
      .trimEnd();
  const lines = all.map(fmt);
  if (header) lines.splice(1, 0, chalk.dim(widths.map((w) => '─'.repeat(w)).join('  ')));
  if (header) lines[0] = chalk.bold(lines[0]!);
  return lines.join('\n');
}

/** Live progress: redraws one line per service on a TTY, prints state changes otherwise. */
class ProgressView {
  private readonly rows = new Map<string, { phase: ProgressEvent['phase']; detail?: string; at: number; since: number }>();
  private drawn = 0;
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  private timer?: NodeJS.Timeout;
  private readonly t0 = Date.now();

  constructor() {
    if (this.tty) this.timer = setInterval(() => this.draw(), 250);
  }

  on(e: ProgressEvent): void {
    if (e.service === 'stack') {
      this.note(e.phase === 'info' ? chalk.cyan(`» ${e.detail}`) : String(e.detail));
      return;
    }
    const prev = this.rows.get(e.service);
    if (e.phase === 'info') {
      this.note(chalk.dim(`  ${e.service}: ${e.detail}`));
      return;
    }
    const since = prev && prev.phase !== 'pending' ? prev.since : e.elapsedMs;
    this.rows.set(e.service, { phase: e.phase, detail: e.detail, at: e.elapsedMs, since: e.phase === 'pending' ? e.elapsedMs : since });
    if (!this.tty && e.phase !== 'pending') {
      const took = e.phase === 'healthy' ? ` in ${secs(e.elapsedMs - since)}` : '';
      process.stderr.write(`[${secs(e.elapsedMs).padStart(6)}] ${e.service.padEnd(11)} ${this.color(e.phase)}${took}${e.detail ? chalk.dim(`  ${e.detail}`) : ''}\n`);
    }
  }

  private note(line: string): void {
    if (this.tty) this.clear();
    process.stderr.write(`${line}\n`);
    if (this.tty) this.draw();
  }

  private color(phase: ProgressEvent['phase']): string {
    const p = phase.padEnd(8);
    if (phase === 'healthy') return chalk.green(p);
    if (phase === 'failed') return chalk.red(p);
    if (phase === 'skipped') return chalk.yellow(p);
    if (phase === 'pending') return chalk.dim(p);
    return chalk.cyan(p);
  }

  private clear(): void {
    if (this.drawn > 0) process.stderr.write(`\u001b[${this.drawn}A\u001b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.tty || this.rows.size === 0) return;
    this.clear();
    const now = Date.now() - this.t0;
    const lines: string[] = [];
    for (const [name, r] of this.rows) {
      const running = r.phase !== 'healthy' && r.phase !== 'failed' && r.phase !== 'skipped' && r.phase !== 'pending';
      const time = r.phase === 'healthy' ? secs(r.at - r.since) : running ? secs(now - r.since) : '';
      const width = Math.max(20, (process.stderr.columns ?? 100) - 36);
      const detail = (r.detail ?? '').slice(0, width);
      lines.push(`  ${name.padEnd(11)} ${this.color(r.phase)} ${time.padStart(6)}  ${chalk.dim(detail)}`);
    }
    lines.push(chalk.dim(`  total ${secs(now)}`));
    process.stderr.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw();
  }
}

async function printEndpoints(stack: DockerStack): Promise<void> {
  const m = await stack.endpointMap();
  const rows: string[][] = [];
  for (const [key, label] of ENDPOINT_LABELS) {
    const url = m[key];
    if (!url) continue;
    rows.push([label, key === 'gateway' ? `${url}/   (cluster health: ${url}/health)` : url]);
  }
  for (const s of stack.skipped) rows.push([s.name === 'grafana' ? 'Grafana' : s.name, chalk.yellow(`not running in the ${stack.imageSet} image set (see notice above)`)]);
  process.stdout.write(`\n${table(rows, ['endpoint', 'address'])}\n`);
  const c = stack.credentials;
  const cred: string[][] = [
    ['PostgreSQL', `${c.postgres.user} / ${c.postgres.password}  (database ${c.postgres.database})`],
    ['RabbitMQ', `${c.rabbitmq.user} / ${c.rabbitmq.password}`],
    ['Redis', `password ${c.redis.password}`],
  ];
  if (c.grafana && stack.topology.services.some((s) => s.name === 'grafana')) cred.push(['Grafana', `${c.grafana.user} / ${c.grafana.password}`]);
  process.stdout.write(`\n${table(cred, ['credentials (generated for this stack)', ''])}\n`);
}

async function requireStack(id: string): Promise<DockerStack> {
  const stack = await openDockerStack(id);
  if (!stack) throw new InfrastructureError(`no stack "${id}" is up.`, 'Start it with `eventflow up`' + (id === 'default' ? '' : ` --stack ${id}`) + '.');
  return stack;
}

export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('bring the whole EventFlow stack up (Testcontainers) and leave it running')
    .addOption(new Option('--nodes <n>', `number of api nodes (1-${MAX_NODES})`).argParser(parseNodes).default(DEFAULT_NODES))
    .addOption(imageSetOption())
    .addOption(stackOption())
    .action(async (opts: { nodes: number; images?: string; stack?: string }) => {
      const imageSet = resolveImageSet(opts.images);
      const stackId = resolveStackId(opts.stack);
      await connectDocker(); // no engine → one paragraph, exit 3, before any progress output
      const view = new ProgressView();
      const t0 = Date.now();
      process.stderr.write(chalk.bold(`eventflow up: stack "${stackId}", ${opts.nodes} api node(s), ${imageSet} images\n`));
      const onInterrupt = (): void => {
        view.stop();
        process.stderr.write(chalk.yellow(`\ninterrupted: what started so far is left running; remove it with \`eventflow down${stackId === 'default' ? '' : ` --stack ${stackId}`}\`\n`));
        process.exit(ExitCode.Interrupted);
      };
      process.once('SIGINT', onInterrupt);
      let stack: DockerStack;
      try {
        stack = (await startStack({ stackId, nodes: opts.nodes, imageSet, onProgress: (e) => view.on(e) })) as DockerStack;
      } finally {
        view.stop();
        process.off('SIGINT', onInterrupt);
      }
      const total = Date.now() - t0;
      process.stderr.write(
        stack.alreadyUp
          ? chalk.green(`stack "${stackId}" was already up (nothing started)\n`)
          : chalk.green(`stack "${stackId}" is up: ${stack.serviceNames().length} services healthy in ${secs(total)}\n`),
      );
      for (const s of stack.skipped) process.stderr.write(chalk.yellow(`notice: ${s.name} skipped: ${s.reason}\n`));
      await printEndpoints(stack);
      process.stdout.write(`\nNext: ${chalk.cyan('eventflow scenario db-outage')} · ${chalk.cyan('eventflow status')} · ${chalk.cyan('eventflow down')}\n`);
    });

  program
    .command('status')
    .description('every service of the stack: state, health, endpoint')
    .addOption(stackOption())
    .option('--json', 'machine-readable output')
    .action(async (opts: { stack?: string; json?: boolean }) => {
      const id = resolveStackId(opts.stack);
      const stack = await openDockerStack(id);
      if (!stack) {
        const { docker } = await connectDocker();
        const others = (await listStackIds(docker)).filter((x) => x !== id);
        if (opts.json) process.stdout.write(`${JSON.stringify({ stack: id, up: false, otherStacks: others })}\n`);
        else process.stdout.write(`no stack "${id}" is up${others.length ? ` (running: ${others.join(', ')}; use --stack)` : ''}. Start one with \`eventflow up\`.\n`);
        return;
      }
      const [services, endpoints] = await Promise.all([stack.services(), stack.endpointMap()]);
      const byService: Record<string, string> = {};
      for (const s of stack.topology.services) {
        const urls = s.published.map((p) => endpoints[p.endpoint]).filter(Boolean).map((u) => u!.replace(/\/\/[^@/]*@/, '//'));
        byService[s.name] = urls.join(' ');
      }
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ stack: id, up: true, imageSet: stack.imageSet, nodes: stack.topology.nodes, services: services.map((s) => ({ ...s, endpoint: byService[s.name] || undefined })), skipped: stack.skipped }, null, 2)}\n`,
        );
        return;
      }
      const healthy = services.filter((s) => s.healthy).length;
      process.stdout.write(chalk.bold(`stack "${id}" (${stack.imageSet} images, ${stack.topology.nodes} api nodes): ${healthy}/${services.length} healthy\n\n`));
      const rows = services.map((s) => [
        s.name,
        s.group,
        s.state === 'running' ? chalk.green(s.state) : s.state === 'paused' ? chalk.yellow(s.state) : chalk.red(s.state),
        s.health === 'healthy' ? chalk.green(s.health) : s.health === 'starting' ? chalk.yellow(s.health) : chalk.red(s.health),
        s.connected ? '' : chalk.red('disconnected'),
        byService[s.name] ?? '',
      ]);
      process.stdout.write(`${table(rows, ['service', 'group', 'state', 'health', 'network', 'endpoint'])}\n`);
      for (const s of stack.skipped) process.stdout.write(chalk.yellow(`\nnotice: ${s.name} not running: ${s.reason}\n`));
    });

  program
    .command('logs')
    .description('output of one service')
    .argument('<service>', 'service name (eventflow status lists them)')
    .option('-f, --follow', 'keep streaming new output')
    .addOption(new Option('--tail <n>', 'lines from the end').argParser(parseTail).default(200))
    .addOption(stackOption())
    .action(async (service: string, opts: { follow?: boolean; tail: number; stack?: string }) => {
      const id = resolveStackId(opts.stack);
      const stack = await openDockerStack(id);
      const names = stack
        ? stack.serviceNames()
        : buildTopology({ stackId: id, imageSet: 'official', credentials: generateCredentials() }).services.map((s) => s.name);
      if (!names.includes(service)) throw new UsageError(`unknown service "${service}"; valid services: ${names.join(', ')}`);
      if (!stack) throw new InfrastructureError(`no stack "${id}" is up.`, 'Start it with `eventflow up`.');
      const cid = await stack.containerId(service);
      if (!cid) throw new InfrastructureError(`service ${service} has no container in stack "${id}" (removed?).`, 'Bring it back with `eventflow up`.');
      const docker = stack.dockerode;
      const container = docker.getContainer(cid);
      if (!opts.follow) {
        const buf = (await container.logs({ stdout: true, stderr: true, tail: opts.tail, follow: false })) as unknown as Buffer;
        const { demux } = await import('../stack/containers.js');
        process.stdout.write(demux(buf));
        return;
      }
      const stream = (await container.logs({ stdout: true, stderr: true, tail: opts.tail, follow: true })) as unknown as NodeJS.ReadableStream;
      docker.modem.demuxStream(stream, process.stdout, process.stderr);
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          (stream as unknown as { destroy?: () => void }).destroy?.();
          process.exitCode = ExitCode.Interrupted;
          resolve();
        };
        process.once('SIGINT', stop);
        stream.on('end', () => {
          process.off('SIGINT', stop);
          resolve();
        });
      });
    });

  program
    .command('down')
    .description('remove the stack: containers, network, volumes (safe when nothing is up)')
    .addOption(stackOption())
    .option('--all', 'remove every EventFlow stack on this engine')
    .action(async (opts: { stack?: string; all?: boolean }) => {
      const ids = opts.all ? await listStackIds((await connectDocker()).docker) : [resolveStackId(opts.stack)];
      if (ids.length === 0) {
        process.stdout.write('no EventFlow stack on this engine: nothing to remove\n');
        return;
      }
      for (const id of ids) {
        const { removed } = await stopStack(id);
        process.stdout.write(removed > 0 ? `stack "${id}" removed (${removed} containers/networks/volumes)\n` : `stack "${id}" is not up: nothing to remove\n`);
      }
    });

  program
    .command('doctor')
    .description('check Node, the Docker engine, images and ports; print the fix for each problem')
    .addOption(imageSetOption())
    .action(async (opts: { images?: string }) => {
      const problems = await doctor(resolveImageSet(opts.images));
      if (problems > 0) process.exitCode = ExitCode.Infrastructure;
    });
}

type Check = { ok: boolean | 'warn'; what: string; fix?: string };

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Is a public registry reachable? DNS first (no traffic beyond the resolver); one TCP connect only when it resolves. */
async function registryReachable(): Promise<{ ok: boolean; why: string }> {
  if (process.env.EVENTFLOW_REGISTRY_CHECK === 'off') return { ok: false, why: 'check disabled (EVENTFLOW_REGISTRY_CHECK=off)' };
  const host = 'registry-1.docker.io';
  try {
    await lookup(host);
  } catch {
    return { ok: false, why: `${host} does not resolve` };
  }
  return new Promise((resolve) => {
    const s = connect({ host, port: 443, timeout: 3000 });
    s.once('connect', () => {
      s.destroy();
      resolve({ ok: true, why: `${host}:443 answers` });
    });
    s.once('timeout', () => {
      s.destroy();
      resolve({ ok: false, why: `${host}:443 timed out` });
    });
    s.once('error', (e) => resolve({ ok: false, why: `${host}:443 ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
  });
}

async function doctor(imageSet: ImageSetName): Promise<number> {
  const checks: Check[] = [];
  const [maj, min] = process.versions.node.split('.').map(Number) as [number, number];
  const nodeOk = maj > 22 || (maj === 22 && min >= 22);
  checks.push({ ok: nodeOk, what: `Node.js ${process.version} (need >= 22.22)`, fix: 'npm install --prefix ~/.eventflow-node node@22 && export PATH=~/.eventflow-node/node_modules/node/bin:$PATH' });

  const probe = await probeDocker();
  const target = dockerTarget();
  if (probe.ok) {
    checks.push({ ok: true, what: `Docker engine ${probe.serverVersion} (API ${probe.apiVersion}) via ${probe.how}` });
    if (process.env.TESTCONTAINERS_HOST_OVERRIDE) checks.push({ ok: true, what: `TESTCONTAINERS_HOST_OVERRIDE=${process.env.TESTCONTAINERS_HOST_OVERRIDE}` });
    const docker = probe.docker;
    const roles = Object.entries(IMAGE_SETS[imageSet]).filter(([role, name]) => role !== 'node' && name) as [string, string][];
    const missing: string[] = [];
    for (const [, name] of roles) if (!(await imageId(docker, name))) missing.push(name);
    const nodeImage = IMAGE_SETS[imageSet].node!;
    if (!(await imageId(docker, nodeImage))) missing.push(nodeImage);
    if (missing.length === 0) checks.push({ ok: true, what: `${imageSet} images present (${roles.length + 1})` });
    else
      checks.push({
        ok: imageSet === 'official' ? 'warn' : false,
        what: `${imageSet} images missing: ${missing.join(', ')}`,
        fix: imageSet === 'offline' ? 'npm run images:offline' : `pulled on first \`eventflow up\` (or: ${missing.map((m) => `docker pull ${m}`).join(' && ')})`,
      });
    if (IMAGE_SETS[imageSet].grafana === undefined) checks.push({ ok: 'warn', what: `the ${imageSet} set has no Grafana: eventflow up runs without dashboards` });
    try {
      const plan = planAppImage(imageSet, (await imageId(docker, nodeImage)) ?? '');
      const label = (await docker.getImage(appImageName(imageSet)).inspect().catch(() => undefined))?.Config?.Labels?.[INPUTS_LABEL];
      checks.push(
        label === plan.hash
          ? { ok: true, what: `app image ${plan.image} up to date` }
          : { ok: 'warn', what: `app image ${plan.image} will be (re)built by the next eventflow up (inputs changed or first run)` },
      );
    } catch (error) {
      checks.push({ ok: false, what: `app image: ${(error as Error).message}`, fix: (error as InfrastructureError).hint ?? 'npm run build' });
    }
  } else {
    checks.push({ ok: false, what: noDockerParagraph(probe.how, probe.reason), fix: target.how.startsWith('DOCKER_HOST') ? 'unset DOCKER_HOST (or fix it), or: sudo systemctl start docker' : 'sudo systemctl start docker   (or: sudo dockerd &, or start Docker Desktop)' });
  }

  const reg = await registryReachable();
  if (reg.ok) checks.push({ ok: true, what: `image registry reachable (${reg.why})` });
  else
    checks.push({
      ok: imageSet === 'official' ? false : 'warn',
      what: `no image registry reachable (${reg.why})${imageSet === 'official' ? ': the official images cannot be pulled' : ''}`,
      fix: 'use the offline image set: npm run images:offline && export EVENTFLOW_IMAGES=offline',
    });

  const ports = [8080, 15672, 9090, 3000];
  const busy: number[] = [];
  for (const p of ports) if (!(await portFree(p))) busy.push(p);
  checks.push(
    busy.length === 0
      ? { ok: true, what: `ports ${ports.join(', ')} free on 127.0.0.1 (docker-compose.yml; eventflow up picks free ports itself)` }
      : { ok: 'warn', what: `ports in use on 127.0.0.1: ${busy.join(', ')} (only docker-compose.yml needs them)`, fix: 'EVENTFLOW_HTTP_PORT=18080 docker-compose up  (see docker-compose.yml for the other *_PORT variables)' },
  );

  let problems = 0;
  for (const c of checks) {
    const mark = c.ok === true ? chalk.green('✔') : c.ok === 'warn' ? chalk.yellow('!') : chalk.red('✘');
    process.stdout.write(`${mark} ${c.what}\n`);
    if (c.ok !== true && c.fix) process.stdout.write(`    fix: ${chalk.cyan(c.fix)}\n`);
    if (c.ok === false) problems++;
  }
  process.stdout.write(problems === 0 ? chalk.green('\nready: run `eventflow up`' + (imageSet === 'offline' ? ' --images offline' : '') + '\n') : chalk.red(`\n${problems} problem(s) found\n`));
  return problems;
}
