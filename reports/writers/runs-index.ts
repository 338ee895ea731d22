/**
 * reports/runs/index.html: the history of each scenario (pass/fail over time,
 * duration trend), the --runs batches, the explore batches, and every run, newest first.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExploreReport } from '../explore-model.js';
import type { RunReport } from '../model.js';
import type { RunsSummary } from '../runs-model.js';
import { esc, fmtMs } from './format.js';
import { PAGE_CSS, durationTrend, passFailStrip } from './runs-charts.js';

/** Where --runs summaries go: <runs dir>/batches/<batch id>/. */
export const BATCHES_DIR = 'batches';

export interface RunListing {
  runId: string;
  scenario: string;
  verdict: string;
  startedAt: string;
  durationMs: number;
  checks: number;
  failed: number;
  lost?: number;
}

/** A run's line in the index, written beside its report.json: the index reads this, not every run's whole history. */
export const LISTING_FILE = 'listing.json';

export function listingOf(r: RunReport): RunListing {
  return { runId: r.runId, scenario: r.scenario.name, verdict: r.verdict, startedAt: r.startedAt, durationMs: r.durationMs, checks: r.checks.length, failed: r.checks.filter((c) => !c.passed).length, lost: r.checker?.lost.count };
}

async function readListing(runDir: string): Promise<RunListing | undefined> {
  try {
    return JSON.parse(await readFile(join(runDir, LISTING_FILE), 'utf8')) as RunListing;
  } catch {
    // a run written before listing.json existed: its report (a rate load's history makes it megabytes)
  }
  let listing: RunListing;
  try {
    listing = listingOf(JSON.parse(await readFile(join(runDir, 'report.json'), 'utf8')) as RunReport);
  } catch {
    return undefined; // not a run directory (or a broken one): skip
  }
  // once: the next index reads the small file (best effort: a read-only directory is still listed)
  await writeFile(join(runDir, LISTING_FILE), `${JSON.stringify(listing)}\n`).catch(() => undefined);
  return listing;
}

/**
 * Every run under the directory, newest first. Each run costs one small file read (all in parallel), so the
 * index written after every run stays cheap with hundreds of runs (it read and parsed every report.json:
 * 87 ms for 27 runs here, on every `eventflow scenario`).
 */
export async function listRuns(runsDir: string): Promise<RunListing[]> {
  let dirs: string[];
  try {
    dirs = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory() && d.name !== BATCHES_DIR).map((d) => d.name);
  } catch {
    return [];
  }
  const runs = (await Promise.all(dirs.map((d) => readListing(join(runsDir, d))))).filter((r): r is RunListing => r !== undefined);
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

async function subdirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** The --runs summaries under the runs directory, newest first. */
export async function listBatches(runsDir: string): Promise<RunsSummary[]> {
  const out: RunsSummary[] = [];
  for (const d of await subdirs(join(runsDir, BATCHES_DIR))) {
    try {
      const s = JSON.parse(await readFile(join(runsDir, BATCHES_DIR, d, 'summary.json'), 'utf8')) as RunsSummary;
      if (s.kind === 'eventflow-runs-summary') out.push(s);
    } catch {
      // not a summary (or a broken one): skip
    }
  }
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

/** One explore batch, as the index lists it (its directory is <runs dir>/<batch id>/, beside the runs). */
export interface ExploreListing {
  batchId: string;
  seed: number;
  verdict: string;
  passed: number;
  runs: number;
  faults: string[];
  targets: string[];
  startedAt: string;
  durationMs: number;
}

/** The `eventflow explore` batches written into the runs directory, newest first. */
export async function listExploreBatches(runsDir: string): Promise<ExploreListing[]> {
  const one = async (d: string): Promise<ExploreListing | undefined> => {
    try {
      const e = JSON.parse(await readFile(join(runsDir, d, 'explore.json'), 'utf8')) as ExploreReport;
      if (e.kind !== 'explore') return undefined;
      return { batchId: d, seed: e.seed, verdict: e.verdict, passed: e.runs.filter((r) => r.verdict === 'pass').length, runs: e.runs.length, faults: e.options.faults, targets: e.options.targets, startedAt: e.startedAt, durationMs: e.durationMs };
    } catch {
      return undefined; // not an explore batch (a run's directory has no explore.json), or a broken one: skip
    }
  };
  const out = (await Promise.all((await subdirs(runsDir)).map(one))).filter((b): b is ExploreListing => b !== undefined);
  return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

function exploreList(batches: readonly ExploreListing[]): string {
  if (!batches.length) return '';
  const rows = batches
    .map((b) => `<tr class="${b.verdict}"><td><a href="${encodeURIComponent(b.batchId)}/index.html">${esc(b.batchId)}</a></td><td class="v">${b.seed}</td><td class="v">${b.passed}/${b.runs}</td><td>${esc(b.faults.join(', '))} on ${esc(b.targets.join(', '))}</td><td>${esc(b.startedAt)}</td><td>${fmtMs(b.durationMs)}</td></tr>`)
    .join('');
  return `<section id="explore"><h2>Explore batches (seeded random faults)</h2><table><thead><tr><th>batch</th><th>seed</th><th>passed</th><th>faults</th><th>started</th><th>duration</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function scenarioHistory(runs: readonly RunListing[]): string {
  const byScenario = new Map<string, RunListing[]>();
  for (const r of [...runs].reverse()) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
  const rows = [...byScenario]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, list]) => {
      const passed = list.filter((r) => r.verdict === 'pass').length;
      const strip = passFailStrip(list.map((r) => ({ label: `${r.runId} (${r.startedAt})`, verdict: r.verdict, href: `${encodeURIComponent(r.runId)}/index.html` })));
      return `<tr data-scenario="${esc(name)}"><td><b>${esc(name)}</b></td><td>${passed}/${list.length}</td><td>${strip}</td><td>${durationTrend(list.map((r) => r.durationMs))}</td></tr>`;
    })
    .join('');
  return `<section id="history"><h2>History per scenario</h2><p class="meta">oldest → newest; each square is a run (green pass, red fail, purple error), the line its duration</p>
<table><thead><tr><th>scenario</th><th>passed</th><th>pass / fail over time</th><th>duration trend</th></tr></thead><tbody>${rows || '<tr><td colspan="4">no runs yet</td></tr>'}</tbody></table></section>`;
}

function batchList(batches: readonly RunsSummary[]): string {
  if (!batches.length) return '';
  const rows = batches
    .map((b) => `<tr class="${b.passed === b.runs.length ? 'pass' : 'fail'}"><td><a href="${BATCHES_DIR}/${encodeURIComponent(b.batchId)}/index.html">${esc(b.batchId)}</a></td><td>${esc(b.scenario)}</td><td class="v">${b.passed}/${b.runs.length}</td><td>${(b.confidence.low * 100).toFixed(0)}–${(b.confidence.high * 100).toFixed(0)} %</td><td>${esc(b.startedAt)}</td><td>${fmtMs(b.durationMs)}</td></tr>`)
    .join('');
  return `<section id="batches"><h2>Repeated runs (--runs)</h2><table><thead><tr><th>batch</th><th>scenario</th><th>passed</th><th>95 % interval</th><th>started</th><th>duration</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function renderRunsIndex(runs: RunListing[], batches: RunsSummary[] = [], explores: ExploreListing[] = []): string {
  const rows = runs
    .map(
      (r) =>
        `<tr class="${r.verdict}"><td><a href="${encodeURIComponent(r.runId)}/index.html">${esc(r.runId)}</a></td><td>${esc(r.scenario)}</td><td class="v">${esc(r.verdict.toUpperCase())}</td><td>${esc(r.startedAt)}</td><td>${(r.durationMs / 1000).toFixed(2)} s</td><td>${r.checks - r.failed}/${r.checks}</td><td>${r.lost ?? '—'}</td><td><a href="${encodeURIComponent(r.runId)}/report.json">json</a> · <a href="${encodeURIComponent(r.runId)}/junit.xml">junit</a></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>EventFlow scenario runs</title>
<style>${PAGE_CSS}</style></head>
<body><main><h1 style="margin-top:24px">EventFlow scenario runs</h1><p class="meta">${runs.length} run(s)</p>
${scenarioHistory(runs)}
${batchList(batches)}
${exploreList(explores)}
<section id="all-runs"><h2>Every run</h2>
<table><thead><tr><th>run</th><th>scenario</th><th>verdict</th><th>started</th><th>duration</th><th>checks passed</th><th>lost</th><th>files</th></tr></thead>
<tbody>${rows}</tbody></table></section></main></body></html>
`;
}
