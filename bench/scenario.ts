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
import { randomUUID } from 'node:crypto';
import { execa } from 'execa';
import pg from 'pg';
import { openStack } from '../cli/stack/stack.js';
import { fileURLToPath } from 'node:url';
import type { RunReport, WallPhases } from '../reports/model.js';
import { median } from './lib/median.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_MS = 10_000;
/** Issue 10: the whole `eventflow scenario db-outage --purchases 5` process at most 1.5 × the hand-rolled baseline. */
const PROCESS_VS_BASELINE_GOAL = 1.5;

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
  const baseline: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const b = await handRolledDbOutage(stack, 5);
      baseline.push(b);
      process.stdout.write(`[bench scenario] run ${i + 1}/${runs}: baseline (hand-rolled) ${sec(b)}\n`);
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
      `\n  verdicts: ${rows.map((r) => r.verdict).join(', ')}\n` +
      `  baseline   ${sec(median(baseline)).padStart(8)}  (hand-rolled: docker kill, 5 POSTs, docker start, poll PostgreSQL until persisted — no steady state, checker or reports)\n`,
  );
  // Issue 10: the whole process (node start-up, imports, engine, reports) against the hand-rolled baseline, run by run.
  const ratios = rows.map((r, i) => r.processMs / baseline[i]!);
  const ratio = median(ratios);
  process.stdout.write(
    `[bench scenario] process vs baseline, side by side: ${rows.map((r, i) => `${sec(r.processMs)} / ${sec(baseline[i]!)}`).join(', ')}\n` +
      `  process / baseline (median of the runs' ratios) ${ratio.toFixed(2)} (goal ≤ ${PROCESS_VS_BASELINE_GOAL.toFixed(1)}: ${ratio <= PROCESS_VS_BASELINE_GOAL ? 'met' : 'NOT met'}); ` +
      `process − engine (start-up, imports, reports) ${sec(median(rows.map((r) => r.processMs - r.totalMs)))}\n`,
  );
}

/**
 * The floor to compare with: the original project's end-to-end test done by hand
 * (docker kill postgres, 5 purchases, docker start, poll until the consumer
 * persisted them). No steady-state checks, no invariant checker, no reports.
 */
async function handRolledDbOutage(stack: string, purchases: number): Promise<number> {
  const handle = await openStack(stack);
  if (!handle) throw new Error(`stack "${stack}" is not up`);
  const { gateway } = await handle.endpoints();
  const container = `eventflow-${stack}-postgres`;
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const t0 = performance.now();
  await execa('docker', ['kill', container]);
  await Promise.all(
    Array.from({ length: purchases }, async (_, i) => {
      const res = await fetch(`${gateway}/purchase`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': `${prefix}-${i}` },
        body: JSON.stringify({ eventId: 1, quantity: 1, email: 'bench@example.test' }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status !== 202) throw new Error(`baseline purchase answered ${res.status}`);
    }),
  );
  await execa('docker', ['start', container]);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { postgresUrl } = await handle.endpoints(); // the mapped port changes on restart
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM orders WHERE idempotency_key LIKE $1', [`${prefix}-%`]);
      if (Number(r.rows[0]?.n) === purchases) return performance.now() - t0;
    } catch {
      // PostgreSQL is still starting: poll again
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('baseline: purchases not persisted within 60 s');
}
