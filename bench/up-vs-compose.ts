/**
 * `eventflow up` to all-healthy vs `docker-compose up` of the same images
 * (docker-compose.yml + docker-compose.offline.yml: rendered from the same
 * topology, so the same health checks and dependencies), measured in the same
 * run, alternating which goes first; medians side by side.
 *
 * Images must be present (offline set + app image; built before timing).
 * Both sides are timed from process spawn until every container reports
 * healthy. Env: EVENTFLOW_BENCH_REPS (3), EVENTFLOW_BENCH_IMAGES (offline).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Dockerode from 'dockerode';
import { ensureAppImage } from '../cli/stack/app-image.js';
import { connectDocker } from '../cli/stack/docker.js';
import type { ImageSetName } from '../cli/stack/images.js';
import { stopStack } from '../cli/stack/stack.js';
import { buildTopology } from '../cli/stack/topology.js';
import { generateCredentials } from '../cli/stack/credentials.js';
import { median } from './lib/median.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = 600_000;

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env, FORCE_COLOR: '0', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, out });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

async function allHealthy(docker: Dockerode, label: string, expected: number): Promise<boolean> {
  const list = await docker.listContainers({ all: true, filters: { label: [label] } });
  if (list.length < expected) return false;
  return list.every((c) => /\(healthy\)/.test(c.Status));
}

/**
 * One timed `eventflow up`. The app image is ensured first (untimed): other work on
 * the same checkout may rebuild dist/ between repetitions, and "images present" is the
 * condition of this benchmark. A run that still rebuilt the image is repeated.
 */
async function timeEventflow(docker: Dockerode, set: ImageSetName, home: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    await ensureAppImage(docker, set);
    const stack = `bench-${randomBytes(2).toString('hex')}`;
    const t0 = performance.now();
    const r = await exec(process.execPath, [join(ROOT, 'bin', 'eventflow.js'), 'up', '--stack', stack, '--images', set], { EVENTFLOW_HOME: home, CI: '1' });
    const ms = performance.now() - t0;
    await stopStack(stack).catch(() => {});
    if (r.code !== 0) throw new Error(`eventflow up failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
    if (!/app-image .*built /.test(r.out) || attempt >= 3) return ms;
    process.stdout.write('  (the app image was rebuilt during the timed run: inputs changed meanwhile; repeating)\n');
  }
}

async function timeCompose(docker: Dockerode, set: ImageSetName, expected: number): Promise<number> {
  const project = `efbench${randomBytes(2).toString('hex')}`;
  const files = ['-f', 'docker-compose.yml', ...(set === 'offline' ? ['-f', 'docker-compose.offline.yml'] : [])];
  const env: NodeJS.ProcessEnv = {
    EVENTFLOW_HTTP_PORT: String(await freePort()),
    EVENTFLOW_RABBITMQ_UI_PORT: String(await freePort()),
    EVENTFLOW_PROMETHEUS_PORT: String(await freePort()),
    EVENTFLOW_GRAFANA_PORT: String(await freePort()),
    EVENTFLOW_POSTGRES_PASSWORD: randomBytes(12).toString('hex'),
    EVENTFLOW_RABBITMQ_PASSWORD: randomBytes(12).toString('hex'),
    EVENTFLOW_REDIS_PASSWORD: randomBytes(12).toString('hex'),
    EVENTFLOW_GRAFANA_PASSWORD: randomBytes(12).toString('hex'),
  };
  const label = `com.docker.compose.project=${project}`;
  try {
    const t0 = performance.now();
    const r = await exec('docker-compose', ['-p', project, ...files, 'up', '-d', '--no-build'], env);
    if (r.code !== 0) throw new Error(`docker-compose up failed (exit ${r.code}):\n${r.out.slice(-2000)}`);
    // `up -d` returns once the last containers are started: wait for the same all-healthy.
    const deadline = Date.now() + TIMEOUT_MS;
    while (!(await allHealthy(docker, label, expected))) {
      if (Date.now() > deadline) throw new Error('docker-compose stack not healthy in time');
      await new Promise((r2) => setTimeout(r2, 100));
    }
    return performance.now() - t0;
  } finally {
    await exec('docker-compose', ['-p', project, ...files, 'down', '-v', '--remove-orphans', '-t', '2'], env);
  }
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function run(): Promise<void> {
  const reps = Number(process.env.EVENTFLOW_BENCH_REPS ?? 3);
  const set = (process.env.EVENTFLOW_BENCH_IMAGES ?? 'offline') as ImageSetName;
  if (spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status !== 0) {
    process.stdout.write('skipped: docker-compose is not installed (apt-get install -y docker-compose)\n');
    return;
  }
  const { docker } = await connectDocker();
  // Images present before timing: the app image is built (or found up to date) here, untimed.
  await ensureAppImage(docker, set, (l) => process.stdout.write(`  app image: ${l}\n`));
  const expected = buildTopology({ nodes: 3, imageSet: set, credentials: generateCredentials(false) }).services.length;
  const home = mkdtempSync(join(tmpdir(), 'eventflow-bench-'));

  const ef: number[] = [];
  const dc: number[] = [];
  process.stdout.write(`${reps} repetitions, ${set} images, ${expected} services, all healthy\n`);
  for (let i = 0; i < reps; i++) {
    // Alternate the order so neither side always gets the warmer engine.
    if (i % 2 === 0) {
      ef.push(await timeEventflow(docker, set, home));
      dc.push(await timeCompose(docker, set, expected));
    } else {
      dc.push(await timeCompose(docker, set, expected));
      ef.push(await timeEventflow(docker, set, home));
    }
    process.stdout.write(`  rep ${i + 1}: eventflow up ${sec(ef.at(-1)!)}   docker-compose up ${sec(dc.at(-1)!)}\n`);
  }
  const rows = [
    ['', 'eventflow up', 'docker-compose up'],
    ...ef.map((v, i) => [`rep ${i + 1}`, sec(v), sec(dc[i]!)]),
    ['median', sec(median(ef)), sec(median(dc))],
  ];
  const w = [8, 14, 18];
  process.stdout.write(`\n${rows.map((r) => r.map((c, j) => c.padEnd(w[j]!)).join('  ')).join('\n')}\n`);
  const ratio = median(ef) / median(dc);
  process.stdout.write(`eventflow/compose median ratio: ${ratio.toFixed(2)} (${ratio <= 1 ? 'eventflow is not slower' : 'EVENTFLOW IS SLOWER'})\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
