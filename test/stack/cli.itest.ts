/** Bad input and no-Docker cases of the stack commands, each in a separate `eventflow` process. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, runCli } from './helpers.js';

const home = mkdtempSync(join(tmpdir(), 'eventflow-cli-itest-'));
const env = { EVENTFLOW_HOME: home };
const DEAD = { ...env, DOCKER_HOST: 'unix:///tmp/eventflow-no-such-docker.sock' };

describe('eventflow stack commands: bad input', () => {
  beforeAll(() => {
    if (!cliBuilt()) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  });

  it('unknown command → usage, exit 2', async () => {
    const r = await runCli(['frobnicate'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(r.stderr).toMatch(/eventflow --help/);
  });

  it('unknown flag → usage, exit 2', async () => {
    const r = await runCli(['up', '--frobnicate'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('bad --nodes / --images → exit 2', async () => {
    expect((await runCli(['up', '--nodes', '0'], env)).code).toBe(2);
    expect((await runCli(['up', '--images', 'floppy'], env)).code).toBe(2);
  });

  it('no Docker engine → one clear paragraph, exit 3', async () => {
    for (const cmd of [['up', '--images', 'offline'], ['status'], ['down']]) {
      const r = await runCli(cmd, DEAD);
      expect(r.code, cmd.join(' ')).toBe(3);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/^error: Cannot reach a Docker engine \(DOCKER_HOST=unix:\/\/\/tmp\/eventflow-no-such-docker.sock: ENOENT\)/);
      expect(lines[0]).toMatch(/eventflow doctor/);
    }
  });

  it('doctor without Docker names the problem and the fix, exit 3', async () => {
    const r = await runCli(['doctor'], DEAD);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/✘ Cannot reach a Docker engine/);
    expect(r.stdout).toMatch(/fix: unset DOCKER_HOST/);
    expect(r.stdout).toMatch(/no image registry reachable/);
  });

  it('doctor on this machine: Docker reachable, offline images present', async () => {
    const r = await runCli(['doctor', '--images', 'offline'], env);
    expect(r.stdout).toMatch(/✔ Node\.js v22/);
    expect(r.stdout).toMatch(/✔ Docker engine .* via /);
    expect(r.stdout).toMatch(/✔ offline images present/);
    expect(r.stdout).toMatch(/offline set has no Grafana/);
    expect(r.code, r.stdout).toBe(0);
  });

  it('down when nothing is up, twice → fine', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await runCli(['down', '--stack', 'itest-nothing'], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/stack "itest-nothing" is not up: nothing to remove/);
    }
  });

  it('logs of an unknown service names the valid ones, exit 2', async () => {
    const r = await runCli(['logs', 'mysql', '--stack', 'itest-nothing'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown service "mysql"; valid services: postgres, redis, rabbitmq, proxy, api-1, api-2, api-3, notifier, analytics, nginx, prometheus/);
  });

  it('status when nothing is up says so, exit 0', async () => {
    const r = await runCli(['status', '--stack', 'itest-nothing', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stack: 'itest-nothing', up: false });
  });

  it('starts lean: --help loads only the command definitions, status no Testcontainers', async () => {
    // A module hook that lists the npm packages the process loaded (on stderr, at exit).
    const hook = join(home, 'list-packages.mjs');
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module';
const seen = new Set();
registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); const m = /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(r.url); if (m) seen.add(m[1]); return r; } });
process.on('exit', () => process.stderr.write('packages: ' + [...seen].sort().join(' ') + '\\n'));
`,
    );
    const loaded = async (args: string[]): Promise<string[]> => {
      const r = await runCli(args, { ...env, NODE_OPTIONS: `--import=${hook}` });
      expect(r.code, r.stderr).toBe(0);
      return /packages: (.*)/.exec(r.stderr)?.[1]?.split(' ').filter(Boolean) ?? [];
    };
    expect(await loaded(['--help'])).toEqual(['chalk', 'commander']);
    const status = await loaded(['status', '--stack', 'itest-nothing']);
    expect(status).toContain('dockerode');
    for (const heavy of ['testcontainers', 'undici', 'zod', 'fastify', 'ssh2', '@grpc/grpc-js']) expect(status).not.toContain(heavy);
  });
});
