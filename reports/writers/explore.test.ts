import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ExploreReport, ExploreRun } from '../explore-model.js';
import { writeExploreReports } from '../write-explore.js';
import { writeRunReports, writeRunsIndex } from '../write.js';
import { syntheticReport } from '../../test/scenario/synthetic.js';
import { renderExploreHtml, renderExploreJson } from './explore.js';

const run = (over: Partial<ExploreRun>): ExploreRun => ({
  index: 1,
  seed: 1,
  faults: [{ n: 1, kind: 'kill', target: 'postgres', atMs: 3_000, forMs: 4_000, label: 'kill postgres @3.0s for 4.0s', actual: [{ fromMs: 3_500, toMs: 9_000 }] }],
  verdict: 'pass',
  exitCode: 0,
  durationMs: 41_000,
  runId: 'r1',
  reportPath: 'runs/r1/index.html',
  scenarioPath: 'runs/r1/scenario.yaml',
  invariants: { lost: 0, duplicated: 0, oversold: 0 },
  unknown: 0,
  p99DuringMs: 812,
  failedChecks: [],
  ...over,
});

const report: ExploreReport = {
  schemaVersion: 1,
  kind: 'explore',
  seed: 1,
  generator: 1,
  options: { runs: 3, durationMs: 20_000, faults: ['kill', 'pause'], targets: ['postgres', 'api-1'], maxFaults: 3, rate: 10, shrinkReruns: 4 },
  stackId: 'ci',
  startedAt: '2026-11-28T08:00:00.000Z',
  finishedAt: '2026-11-28T08:02:00.000Z',
  durationMs: 120_000,
  verdict: 'fail',
  exitCode: 1,
  runs: [
    run({}),
    run({
      index: 2,
      seed: 976543151,
      verdict: 'fail',
      exitCode: 1,
      faults: [
        { n: 1, kind: 'pause', target: 'api-1', atMs: 2_000, forMs: 1_000, label: 'pause api-1 @2.0s for 1.0s' },
        { n: 2, kind: 'restart', target: 'postgres', atMs: 9_000, label: 'restart postgres @9.0s' },
      ],
      invariants: { lost: 2, duplicated: 0, oversold: 0, conservation: 1 },
      failedChecks: ['lost = 0 <script>: lost=2'],
      repro: { path: 'runs/r2/repro.yaml', faults: [{ n: 2, kind: 'restart', target: 'postgres', atMs: 9_000, label: 'restart postgres @9.0s' }], reruns: 1, shrunk: true },
    }),
  ],
  note: 'Timing is not replayed.',
};

describe('explore writers', () => {
  it('explore.json is the record, verbatim', () => {
    expect(JSON.parse(renderExploreJson(report))).toEqual(report);
  });

  it('index.html: the verdict, one row per run with its faults, counts, links and repro; escaped; the timing note', () => {
    const html = renderExploreHtml(report);
    expect(html).toContain('<title>explore seed 1 — FAIL — EventFlow</title>');
    expect(html).toContain('1/2 run(s) passed (3 asked)');
    expect(html.match(/<tr class="(pass|fail)">/g)).toEqual(['<tr class="pass">', '<tr class="fail">']);
    expect(html).toContain('<code>976543151</code>');
    expect(html).toContain('<td class="n bad">2</td>'); // lost
    expect(html).toContain('<td class="n bad">1</td>'); // conservation
    expect(html).toContain('<td class="n">—</td>'); // conservation not counted in run 1
    expect(html).toContain('href="runs/r2/repro.yaml"');
    expect(html).toContain('shrunk from 2 faults in 1 rerun');
    expect(html).toContain('lost = 0 &lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('Timing is not replayed.');
    // the fault strip: planned, a 4 s fault at 3 s of a 20 s load spans 3/20..7/20 of 240 px; as run, 3.5 s → 9 s under it
    expect(html).toContain('<rect x="36.0" y="1" width="48.0" height="5" rx="1" fill="#d93f3f"><title>planned: kill postgres @3.0s for 4.0s</title>');
    expect(html).toContain('<rect x="42.0" y="6" width="66.0" height="2" rx="1" fill="#1d2330"><title>as run: kill postgres 3.5 s → 9.0 s</title>');
  });
});

describe('the runs index lists explore batches', () => {
  it('an explore batch beside a scenario run: its own row (seed, passed, faults, link), and the run stays a run', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'ef-index-explore-'));
    await writeExploreReports(report, join(runsDir, 'explore-seed1-abc'));
    const run = syntheticReport(0);
    await writeRunReports(run, runsDir);
    const html = readFileSync(await writeRunsIndex(runsDir), 'utf8');
    const section = /<section id="explore">(.*?)<\/section>/s.exec(html)?.[1];
    expect(section).toBeDefined();
    const rows = [...section!.matchAll(/<tr class="(\w+)">(.*?)<\/tr>/gs)];
    expect(rows).toHaveLength(1);
    expect(rows[0]![1]).toBe('fail');
    expect(rows[0]![2]).toContain('<a href="explore-seed1-abc/index.html">explore-seed1-abc</a>');
    expect(rows[0]![2]).toContain('<td class="v">1/2</td>');
    expect(rows[0]![2]).toContain('kill, pause on postgres, api-1');
    expect(html).toContain('<p class="meta">1 run(s)</p>');
    expect(html).toContain(`${run.runId}/index.html`);
  });

  it('no explore batch: no explore section', async () => {
    const runsDir = mkdtempSync(join(tmpdir(), 'ef-index-explore-'));
    await writeRunReports(syntheticReport(0), runsDir);
    expect(readFileSync(await writeRunsIndex(runsDir), 'utf8')).not.toContain('id="explore"');
  });
});
