/** Write one run's three reports into <runsDir>/<run-id>/ and refresh <runsDir>/index.html. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from './model.js';
import { DEFAULT_RUNS_DIR } from './runs-dir.js';
import { renderHtml } from './writers/html.js';
import { renderJson } from './writers/json.js';
import { renderJunit } from './writers/junit.js';
import type { RunsSummary } from './runs-model.js';
import { BATCHES_DIR, LISTING_FILE, listBatches, listExploreBatches, listingOf, listRuns, renderRunsIndex } from './writers/runs-index.js';
import { renderRunsSummary } from './writers/runs-summary.js';

export { DEFAULT_RUNS_DIR };

export interface WrittenReports {
  dir: string;
  json: string;
  junit: string;
  html: string;
  index: string;
}

export async function writeRunReports(report: RunReport, runsDir = DEFAULT_RUNS_DIR): Promise<WrittenReports> {
  const dir = join(runsDir, report.runId);
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'index.html') };
  await writeFile(files.json, renderJson(report));
  await writeFile(files.junit, renderJunit(report));
  await writeFile(files.html, renderHtml(report));
  await writeFile(join(dir, LISTING_FILE), `${JSON.stringify(listingOf(report))}\n`);
  const index = await writeRunsIndex(runsDir);
  return { dir, ...files, index };
}

export async function writeRunsIndex(runsDir = DEFAULT_RUNS_DIR): Promise<string> {
  const index = join(runsDir, 'index.html');
  await mkdir(runsDir, { recursive: true });
  const [runs, batches, explores] = await Promise.all([listRuns(runsDir), listBatches(runsDir), listExploreBatches(runsDir)]);
  await writeFile(index, renderRunsIndex(runs, batches, explores));
  return index;
}

/** The directory a --runs batch's summary goes to. */
export function batchDir(runsDir: string, batchId: string): string {
  return join(runsDir, BATCHES_DIR, batchId);
}

/** summary.json + index.html of a --runs batch into <runsDir>/batches/<batch id>/, then the runs index. */
export async function writeRunsSummary(summary: RunsSummary, runsDir = DEFAULT_RUNS_DIR): Promise<{ dir: string; json: string; html: string; index: string }> {
  const dir = batchDir(runsDir, summary.batchId);
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'summary.json'), html: join(dir, 'index.html') };
  await writeFile(files.json, `${JSON.stringify(summary, null, 2)}\n`);
  await writeFile(files.html, renderRunsSummary(summary));
  return { dir, ...files, index: await writeRunsIndex(runsDir) };
}
