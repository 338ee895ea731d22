/**
 * What a command loads before it needs it: a child process runs the CLI from
 * the sources with a module hook that records every package resolved (ESM and
 * CommonJS alike) and prints the list at exit.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Records the package of every module URL resolved; prints them as one JSON line on stderr at exit. */
const RECORDER = `
import { registerHooks } from 'node:module';
import { writeSync } from 'node:fs';
const seen = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const r = next(specifier, context);
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
    if (m) seen.add(m[1]);
    return r;
  },
});
process.on('exit', () => writeSync(2, '\\nPACKAGES ' + JSON.stringify([...seen]) + '\\n'));
`;

function run(args: string[]): { status: number | null; stdout: string; packages: string[] } {
  const r = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(RECORDER)}`, '--import', 'tsx', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, FORCE_COLOR: '0', NODE_DISABLE_COMPILE_CACHE: '1' },
  });
  const line = /^PACKAGES (.*)$/m.exec(r.stderr);
  if (!line) throw new Error(`no package list from the child (exit ${r.status}):\n${r.stderr}`);
  return { status: r.status, stdout: r.stdout, packages: JSON.parse(line[1]!) as string[] };
}

/** tsx (the child runs the TypeScript sources) and what it loads itself. */
const TOOLING = new Set(['tsx', 'esbuild', 'get-tsconfig', 'resolve-pkg-maps']);

/** Clients a run needs only once it reaches the stack. */
const STACK_CLIENTS = ['dockerode', 'docker-modem', 'testcontainers', 'undici', 'pg', 'amqplib', 'ssh2', '@grpc/grpc-js'];

describe('CLI start-up imports', () => {
  it('validating a scenario loads YAML and the schema, and no Docker, Testcontainers, HTTP or database client', () => {
    const r = run([join('cli', 'main.ts'), 'scenarios', 'validate', 'db-outage']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ok .*db-outage\.yaml/);
    expect(r.packages).toEqual(expect.arrayContaining(['yaml', 'zod']));
    expect(r.packages.filter((p) => STACK_CLIENTS.includes(p))).toEqual([]);
  });

  it('--help loads commander and chalk only', () => {
    const r = run([join('cli', 'main.ts'), '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: eventflow');
    expect(r.packages.filter((p) => !TOOLING.has(p)).sort()).toEqual(['chalk', 'commander']);
  });

  it('the Docker client loads without ssh2 and gRPC; the deferred modules load on first use and work', () => {
    const script = `
      const { DEFERRED_MODULES, loadDockerode, deferredFiles } = await import('./cli/stack/dockerode-loader.ts');
      const Dockerode = await loadDockerode();
      new Dockerode({ socketPath: '/nonexistent.sock' });
      const { createRequire } = await import('node:module');
      const req = createRequire(import.meta.url);
      const sshFile = deferredFiles()[DEFERRED_MODULES.findIndex(([pkg]) => pkg === 'docker-modem')];
      const agent = req(sshFile)({ host: '127.0.0.1', port: 1 });
      const http = await import('node:http');
      console.log('AGENT', agent instanceof http.Agent);
    `;
    const before = run(['--input-type=module', '--eval', script.replace(/const agent[\s\S]*$/, '')]);
    expect(before.status).toBe(0);
    expect(before.packages).toContain('dockerode');
    expect(before.packages).not.toContain('ssh2');
    expect(before.packages).not.toContain('@grpc/grpc-js');
    expect(before.packages).not.toContain('@grpc/proto-loader');

    const after = run(['--input-type=module', '--eval', script]);
    expect(after.stdout).toContain('AGENT true');
    expect(after.packages).toContain('ssh2');
  });
});
