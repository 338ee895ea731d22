import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../cli/package.js';

export const CLI = join(packageRoot(), 'bin', 'eventflow.js');

export function cliBuilt(): boolean {
  return existsSync(join(packageRoot(), 'dist', 'cli', 'main.js'));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `node bin/eventflow.js …` in a separate process (bounded by timeoutMs). With `graceMs`, a command
 * still running at the timeout gets SIGINT first (it rolls its faults back) and SIGKILL only `graceMs` later.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000, graceMs = 0): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: packageRoot(),
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', EVENTFLOW_REGISTRY_CHECK: 'off', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const fail = () => reject(new Error(`eventflow ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    let kill: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (!graceMs) {
        child.kill('SIGKILL');
        return fail();
      }
      child.kill('SIGINT');
      kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(kill);
      if (timedOut) fail();
      else resolve({ code, stdout, stderr });
    });
  });
}
