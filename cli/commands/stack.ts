/**
 * `eventflow up | status | logs | down` (and `doctor`, cli/commands/doctor.ts). The definitions
 * are cheap; each action imports the stack runtime (Docker, Testcontainers) when it runs.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import chalk from 'chalk';
import { InfrastructureError, UsageError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { resolveImageSet } from '../stack/images.js';
import { DEFAULT_NODES, MAX_NODES, defaultTopology, resolveStackId, type EndpointName } from '../stack/topology.js';
import type { DockerStack } from '../stack/stack.js';
import { seconds, table } from '../ui/table.js';
import { registerDoctorCommand } from './doctor.js';
import { imageSetOption, stackOption } from './options.js';

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

const ENDPOINT_LABELS: [EndpointName, string][] = [
  ['gateway', 'GUI + API (NGINX)'],
  ['rabbitmqManagement', 'RabbitMQ management'],
  ['prometheus', 'Prometheus'],
  ['grafana', 'Grafana'],
  ['postgres', 'PostgreSQL'],
  ['redis', 'Redis'],
  ['amqp', 'AMQP'],
  ['faultProxy', 'Fault proxy API'],
];

/** ` --stack <id>` when the id is not the default one: for commands we suggest. */
function stackFlag(id: string): string {
  return id === 'default' ? '' : ` --stack ${id}`;
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

async function up(opts: { nodes: number; images?: string; stack?: string }): Promise<void> {
  const imageSet = resolveImageSet(opts.images);
  const stackId = resolveStackId(opts.stack);
  const [{ connectDocker }, { startStack }, { ProgressView }] = await Promise.all([import('../stack/docker.js'), import('../stack/stack.js'), import('../ui/progress.js')]);
  await connectDocker(); // no engine → one paragraph, exit 3, before any progress output
  const view = new ProgressView();
  const t0 = Date.now();
  process.stderr.write(chalk.bold(`eventflow up: stack "${stackId}", ${opts.nodes} api node(s), ${imageSet} images\n`));
  const onInterrupt = (): void => {
    view.stop();
    process.stderr.write(chalk.yellow(`\ninterrupted: what started so far is left running; remove it with \`eventflow down${stackFlag(stackId)}\`\n`));
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
  process.stderr.write(
    stack.alreadyUp
      ? chalk.green(`stack "${stackId}" was already up (nothing started)\n`)
      : chalk.green(`stack "${stackId}" is up: ${stack.serviceNames().length} services healthy in ${seconds(Date.now() - t0)}\n`),
  );
  for (const s of stack.skipped) process.stderr.write(chalk.yellow(`notice: ${s.name} skipped: ${s.reason}\n`));
  await printEndpoints(stack);
  process.stdout.write(`\nNext: ${chalk.cyan('eventflow scenario db-outage')} · ${chalk.cyan('eventflow status')} · ${chalk.cyan('eventflow down')}\n`);
}

async function status(opts: { stack?: string; json?: boolean }): Promise<void> {
  const id = resolveStackId(opts.stack);
  const { openDockerStack } = await import('../stack/stack.js');
  const stack = await openDockerStack(id);
  if (!stack) {
    const [{ connectDocker }, { listStackIds }] = await Promise.all([import('../stack/docker.js'), import('../stack/containers.js')]);
    const others = (await listStackIds((await connectDocker()).docker)).filter((x) => x !== id);
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
}

async function logs(service: string, opts: { follow?: boolean; tail: number; stack?: string }): Promise<void> {
  const id = resolveStackId(opts.stack);
  const { openDockerStack } = await import('../stack/stack.js');
  const stack = await openDockerStack(id);
  const names = stack ? stack.serviceNames() : defaultTopology().services.map((s) => s.name);
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
}

async function down(opts: { stack?: string; all?: boolean }): Promise<void> {
  const { stopStack } = await import('../stack/stack.js');
  let ids = [resolveStackId(opts.stack)];
  if (opts.all) {
    const [{ connectDocker }, { listStackIds }] = await Promise.all([import('../stack/docker.js'), import('../stack/containers.js')]);
    ids = await listStackIds((await connectDocker()).docker);
  }
  if (ids.length === 0) {
    process.stdout.write('no EventFlow stack on this engine: nothing to remove\n');
    return;
  }
  for (const id of ids) {
    const { removed } = await stopStack(id);
    process.stdout.write(removed > 0 ? `stack "${id}" removed (${removed} containers/networks/volumes)\n` : `stack "${id}" is not up: nothing to remove\n`);
  }
}

export function registerStackCommands(program: Command): void {
  program
    .command('up')
    .description('bring the whole EventFlow stack up (Testcontainers) and leave it running')
    .addOption(new Option('--nodes <n>', `number of api nodes (1-${MAX_NODES})`).argParser(parseNodes).default(DEFAULT_NODES))
    .addOption(imageSetOption())
    .addOption(stackOption())
    .action(up);

  program.command('status').description('every service of the stack: state, health, endpoint').addOption(stackOption()).option('--json', 'machine-readable output').action(status);

  program
    .command('logs')
    .description('output of one service')
    .argument('<service>', 'service name (eventflow status lists them)')
    .option('-f, --follow', 'keep streaming new output')
    .addOption(new Option('--tail <n>', 'lines from the end').argParser(parseTail).default(200))
    .addOption(stackOption())
    .action(logs);

  program
    .command('down')
    .description('remove the stack: containers, network, volumes (safe when nothing is up)')
    .addOption(stackOption())
    .option('--all', 'remove every EventFlow stack on this engine')
    .action(down);

  registerDoctorCommand(program);
}
