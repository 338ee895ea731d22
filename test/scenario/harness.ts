/**
 * The real CLI (bin/eventflow.js → dist/) against a real stack, for the scenario
 * end-to-end tests: run a command, find its report, explain a failure, and start
 * the test stack once (removed at the end unless it was already up).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../reports/model.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const STACK = process.env.EVENTFLOW_SCENARIO_E2E_STACK ?? 'e2e-scenario';
export const REPORTS = mkdtempSync(join(tmpdir(), 'ef-scenario-e2e-'));
const env = { ...process.env, EVENTFLOW_IMAGES: process.env.EVENTFLOW_IMAGES ?? 'offline', FORCE_COLOR: '0', EVENTFLOW_STACK: STACK };

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run the CLI; `onStart` gets the child (e.g. to send it signals). Interrupted (SIGINT) after timeoutMs. */
export function cli(args: string[], extraEnv: Record<string, string> = {}, timeoutMs = 240_000, onStart?: (child: ChildProcess, output: () => string) => void): Promise<CliResult> {
  return new Promise((ok) => {
    const t = Date.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'eventflow.js'), ...args], { cwd: ROOT, env: { ...env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, stderr, ms: Date.now() - t });
    });
    onStart?.(child, () => stdout);
  });
}

export function reportOf(r: CliResult): { report: RunReport; dir: string } {
  const m = /reports: (\S+)\/ \(report\.json/.exec(r.stdout);
  if (!m) throw new Error(`no report path in output:\n${r.stdout}\n${r.stderr}`);
  return { report: JSON.parse(readFileSync(join(m[1]!, 'report.json'), 'utf8')) as RunReport, dir: m[1]! };
}

export function explain(r: CliResult): string {
  return `exit ${r.code} after ${r.ms} ms\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Registers the hooks of a test file: the stack runs before its tests, and is removed after them if they started it. */
export function useTestStack(): void {
  let startedHere = false;
  beforeAll(async () => {
    startedHere = await ensureStack();
  }, 300_000);
  afterAll(async () => {
    if (startedHere && !process.env.EVENTFLOW_KEEP_UP) await cli(['down', '--stack', STACK], {}, 120_000);
  }, 150_000);
}

/** Build if needed and make sure the test stack runs; true when this call started it. */
async function ensureStack(): Promise<boolean> {
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
  const status = await cli(['status', '--stack', STACK], {}, 60_000);
  // Start (and later remove) the stack only when it does not exist; `up` also repairs an existing one.
  if (/^no stack/im.test(status.stdout)) {
    const up = await cli(['up', '--stack', STACK], {}, 290_000);
    if (up.code !== 0) throw new Error(`eventflow up failed:\n${explain(up)}`);
    return true;
  }
  if (!/\b(\d+)\/\1 healthy/.test(status.stdout)) await cli(['up', '--stack', STACK], {}, 290_000);
  return false;
}
