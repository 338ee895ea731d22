/**
 * Wall time of `eventflow scenario db-outage --purchases 5` on a running stack,
 * split into phases (fault, purchases, recovery, drain, checks), over several
 * runs; medians. Runs the real CLI (dist/) as a user would.
 *
 *   EVENTFLOW_BENCH_RUNS (3)  EVENTFLOW_BENCH_STACK (EVENTFLOW_STACK or "default")
 * Without a running stack it starts one first (not measured) and removes it after.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport, WallPhases } from '../cli/scenario/report-model.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MS = 10_000;

function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; ms: number }> {
  return new Promise((ok) => {
    const t = performance.now();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'eventflow.js'), ...args], { cwd: ROOT, env: { ...env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      ok({ code, stdout, ms: performance.now() - t });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const sec = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

export async function run(): Promise<void> {
  const runs = Math.max(1, Math.min(10, Number(process.env.EVENTFLOW_BENCH_RUNS ?? 3)));
  const stack = process.env.EVENTFLOW_BENCH_STACK ?? process.env.EVENTFLOW_STACK ?? 'default';
  const env = { ...process.env, EVENTFLOW_STACK: stack };
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });

  const status = await cli(['status', '--stack', stack], env, 60_000);
  let startedHere = false;
  // Only a stack that does not exist is started here (and removed afterwards); an existing one is left alone.
  if (/^no stack/im.test(status.stdout)) {
    process.stdout.write(`[bench scenario] no stack "${stack}": starting one (not measured)…\n`);
    const up = await cli(['up', '--stack', stack], env, 600_000);
    if (up.code !== 0) throw new Error(`eventflow up failed (exit ${up.code})`);
    startedHere = true;
  }

  const reports = mkdtempSync(join(tmpdir(), 'ef-bench-'));
  const rows: (WallPhases & { processMs: number; verdict: string })[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const r = await cli(['scenario', 'db-outage', '--purchases', '5', '--stack', stack, '--report-dir', reports, '--no-metrics'], env, 180_000);
      const m = /reports: (\S+)\/ \(report\.json/.exec(r.stdout);
      if (!m) throw new Error(`run ${i + 1}: no report (exit ${r.code})\n${r.stdout}`);
      const report = JSON.parse(readFileSync(join(m[1]!, 'report.json'), 'utf8')) as RunReport;
      rows.push({ ...report.wall, processMs: r.ms, verdict: report.verdict });
      process.stdout.write(
        `[bench scenario] run ${i + 1}/${runs}: ${report.verdict} — process ${sec(r.ms)} (engine ${sec(report.wall.totalMs)}: setup ${sec(report.wall.setupMs)}, fault ${sec(report.wall.faultMs)}, purchases ${sec(report.wall.purchasesMs)}, recovery ${sec(report.wall.recoveryMs)}, drain ${sec(report.wall.drainMs)}, checks ${sec(report.wall.checksMs)}, rollback ${sec(report.wall.rollbackMs)})\n`,
      );
    }
  } finally {
    if (startedHere) await cli(['down', '--stack', stack], env, 120_000);
  }
  const keys = ['setupMs', 'faultMs', 'purchasesMs', 'recoveryMs', 'drainMs', 'checksMs', 'rollbackMs', 'totalMs', 'processMs'] as const;
  const med = Object.fromEntries(keys.map((k) => [k, median(rows.map((r) => r[k]))])) as Record<(typeof keys)[number], number>;
  process.stdout.write(
    `[bench scenario] db-outage --purchases 5, ${runs} run(s), medians: total ${sec(med.processMs)} (target < ${sec(TARGET_MS)}: ${med.processMs < TARGET_MS ? 'met' : 'NOT met'})\n` +
      keys.map((k) => `  ${k.replace(/Ms$/, '').padEnd(10)} ${sec(med[k]).padStart(8)}`).join('\n') +
      `\n  verdicts: ${rows.map((r) => r.verdict).join(', ')}\n`,
  );
}
