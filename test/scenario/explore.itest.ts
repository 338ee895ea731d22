/**
 * End to end: `eventflow explore` (bin/eventflow.js → dist/) against a real
 * stack. The first test is the "done when": `explore --seed 1 --runs 5
 * --duration 20s` passes and writes the summary and per-run reports, and the
 * schedules it ran are the ones the seed draws in this process too. Then a
 * run's file replays with `eventflow scenario`, and a run made to fail (the
 * test-only sabotage) is shrunk and leaves a repro.yaml that validates.
 *
 * The stack id is EVENTFLOW_SCENARIO_E2E_STACK (default "e2e-scenario"): when
 * it is not running it is started once and removed at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExploreReport } from '../../reports/explore-model.js';
import type { RunReport } from '../../reports/model.js';
import { DEFAULT_EXPLORE_FAULT_KINDS } from '../../cli/explore/fault-kinds.js';
import { resolveTargets } from '../../cli/explore/options.js';
import { scheduleYaml } from '../../cli/explore/repro.js';
import { runSeed } from '../../cli/explore/rng.js';
import { drawSchedule } from '../../cli/explore/schedule.js';
import { validateScenarioFile } from '../../cli/scenario/validate.js';
import { defaultTopologyNames } from '../../cli/scenario/topology-names.js';
import { cliBuilt, runCli, type CliResult } from '../stack/helpers.js';

const STACK = process.env.EVENTFLOW_SCENARIO_E2E_STACK ?? 'e2e-scenario';
const REPORTS = mkdtempSync(join(tmpdir(), 'ef-explore-e2e-'));
const env = { EVENTFLOW_IMAGES: process.env.EVENTFLOW_IMAGES ?? 'offline', EVENTFLOW_STACK: STACK };
/** A command still running at its timeout is interrupted (it rolls back), killed 90 s later. */
const cli = (args: string[], extra: Record<string, string> = {}, timeoutMs = 240_000) => runCli(args, { ...env, ...extra }, timeoutMs, 90_000);
/** Each test's own bound: its command's, plus the grace, plus a margin. */
const bound = (cliMs: number) => cliMs + 120_000;
const explain = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

function batchOf(r: CliResult): { report: ExploreReport; dir: string } {
  const m = /summary: (\S+)\/index\.html/.exec(r.stdout);
  if (!m) throw new Error(`no summary path in the output:\n${explain(r)}`);
  return { report: JSON.parse(readFileSync(join(m[1]!, 'explore.json'), 'utf8')) as ExploreReport, dir: m[1]! };
}

/** Five runs of about 40 s each on an idle machine; a loaded one (the shared CI host) may take three times as long. */
const EXPLORE_MS = 15 * 60_000;

let startedHere = false;

beforeAll(async () => {
  if (!cliBuilt()) throw new Error('run `npm run build` first (the CLI runs from dist/)');
  const status = await cli(['status'], {}, 60_000);
  if (/^no stack/im.test(status.stdout)) {
    const up = await cli(['up'], {}, 290_000);
    if (up.code !== 0) throw new Error(`eventflow up failed:\n${explain(up)}`);
    startedHere = true;
  } else if (!/\b(\d+)\/\1 healthy/.test(status.stdout)) {
    await cli(['up'], {}, 290_000);
  }
}, 300_000);

afterAll(async () => {
  if (startedHere && !process.env.EVENTFLOW_KEEP_UP) await cli(['down'], {}, 120_000);
}, 150_000);

describe('eventflow explore (real stack)', () => {
  let batch: { report: ExploreReport; dir: string };

  it('--seed 1 --runs 5 --duration 20s passes; the runs are the schedules seed 1 draws; summary and per-run reports written', async () => {
    const r = await cli(['explore', '--seed', '1', '--runs', '5', '--duration', '20s', '--report-dir', REPORTS], {}, EXPLORE_MS);
    expect(r.code, explain(r)).toBe(0);
    batch = batchOf(r);
    const { report, dir } = batch;
    expect(report).toMatchObject({ kind: 'explore', seed: 1, verdict: 'pass', exitCode: 0, options: { runs: 5, durationMs: 20_000 } });
    expect(report.note).toMatch(/Timing is not replayed/);
    expect(report.runs).toHaveLength(5);

    // Same seed, same schedules: what ran is what seed 1 draws here, in another process.
    const topology = defaultTopologyNames(3);
    const options = { durationMs: 20_000, kinds: DEFAULT_EXPLORE_FAULT_KINDS, ...resolveTargets(undefined, topology), maxFaults: 3, rate: 10 };
    for (const [i, run] of report.runs.entries()) {
      const drawn = drawSchedule(runSeed(1, i), options, { seed: 1, run: i + 1, runs: 5 });
      expect(run.seed).toBe(runSeed(1, i));
      expect(run.faults.map((f) => [f.kind, f.target, f.atMs, f.forMs])).toEqual(drawn.faults.map((f) => [f.kind, f.target, f.atMs, f.forMs]));
      expect(readFileSync(join(dir, run.scenarioPath!), 'utf8')).toBe(scheduleYaml(drawn));
      expect(run.verdict).toBe('pass');
      expect(run.invariants).toMatchObject({ lost: 0, duplicated: 0, oversold: 0 });
      expect(run.repro).toBeUndefined();
      const runDir = join(dir, run.reportPath!, '..');
      for (const f of ['report.json', 'junit.xml', 'index.html', 'scenario.yaml']) expect(existsSync(join(runDir, f)), `${runDir}/${f}`).toBe(true);
      const runReport = JSON.parse(readFileSync(join(runDir, 'report.json'), 'utf8')) as RunReport;
      expect(runReport.faultWindows.length).toBeGreaterThanOrEqual(run.faults.filter((f) => f.forMs !== undefined).length);
      expect(runReport.history.summary.purchases).toBeGreaterThan(20);
    }

    // The live lines and the summary table.
    for (let i = 1; i <= 5; i++) expect(r.stdout).toMatch(new RegExp(`✔ run ${i}/5 seed \\d+ PASS in [\\d.]+s — lost 0 · duplicated 0 · oversold 0`));
    expect(r.stdout).toMatch(/run\s+seed\s+verdict\s+lost\s+duplicated\s+oversold\s+conservation\s+p99 during\s+time\s+faults/);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('eventflow explore --seed 1');
    expect(html.match(/<tr class="pass">/g)).toHaveLength(5);
  }, bound(EXPLORE_MS));

  it("a run's scenario.yaml replays with `eventflow scenario`", async () => {
    expect(batch, 'the batch test ran first').toBeDefined();
    const file = join(batch.dir, batch.report.runs[0]!.scenarioPath!);
    const r = await cli(['scenario', file, '--report-dir', REPORTS, '--no-metrics'], {}, 300_000);
    expect(r.code, explain(r)).toBe(0);
    expect(r.stdout).toContain(`scenario explore-1`);
  }, bound(300_000));

  it('a failing run (an acknowledged order deleted behind the system) → exit 1, shrunk, repro.yaml in its directory that validates', async () => {
    const r = await cli(['explore', '--seed', '7', '--runs', '1', '--duration', '8s', '--max-faults', '3', '--shrink-runs', '1', '--report-dir', REPORTS, '--no-metrics'], { EVENTFLOW_TEST_SABOTAGE: 'delete-acked-order' }, 600_000);
    expect(r.code, explain(r)).toBe(1);
    const { report, dir } = batchOf(r);
    const run = report.runs[0]!;
    expect(run.verdict).toBe('fail');
    expect(run.invariants.lost).toBeGreaterThanOrEqual(1);
    expect(run.repro).toBeDefined();
    const repro = join(dir, run.repro!.path);
    expect(r.stdout).toContain(`repro: ${repro}`);
    const valid = await validateScenarioFile(repro, { topology: defaultTopologyNames(3) });
    expect(valid.ok, JSON.stringify(valid)).toBe(true);
    // Shrinking reran at most once; when the schedule had more than one fault, the rerun (sabotaged too) still failed: one fault dropped.
    expect(run.repro!.reruns).toBe(run.faults.length > 1 ? 1 : 0);
    expect(run.repro!.faults.length).toBe(run.faults.length > 1 ? run.faults.length - 1 : 1);
    expect(readdirSync(join(dir, 'runs')).filter((d) => d !== 'index.html').length).toBe(1 + run.repro!.reruns);
  }, bound(600_000));
});
