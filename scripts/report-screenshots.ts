/**
 * docs/screenshots/report-db-outage.png and runs-summary-db-outage-x5.png:
 * runs `eventflow scenario db-outage --purchases 5 --runs 5` against the
 * running stack (EVENTFLOW_STACK; start one with `eventflow up`) into a
 * temporary reports directory, then photographs the first run's report and
 * the summary page in headless Chromium. `--from <dir>` photographs the newest
 * db-outage --runs summary already in <dir> instead. Both pages are drawn again
 * from their JSON with the current writers.
 *
 *   npm run screenshots:reports [-- --from reports/runs]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/observability/browser.js';
import { REPO_ROOT } from '../test/observability/dashboard-queries.js';
import { listBatches } from '../reports/writers/runs-index.js';
import { batchDir } from '../reports/write.js';
import { renderHtml } from '../reports/writers/html.js';
import { renderRunsSummary } from '../reports/writers/runs-summary.js';
import type { RunReport } from '../reports/model.js';

const OUT = join(REPO_ROOT, 'docs', 'screenshots');

async function reportsDir(): Promise<string> {
  const from = process.argv.indexOf('--from');
  if (from > 0) return resolve(process.argv[from + 1] ?? 'reports/runs');
  const dir = mkdtempSync(join(tmpdir(), 'ef-report-shots-'));
  const run = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'eventflow.js'), 'scenario', 'db-outage', '--purchases', '5', '--runs', '5', '--report-dir', dir], { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } });
  if (run.status !== 0) throw new Error(`eventflow scenario db-outage --runs 5 exited ${run.status}: is a stack up (eventflow up)?`);
  return dir;
}

const dir = await reportsDir();
const batch = (await listBatches(dir)).find((b) => b.scenario === 'db-outage');
if (!batch) throw new Error(`no db-outage --runs summary in ${dir}`);
// Drawn again from the JSON with the current writers, so a renderer change shows without a new run.
const pages = mkdtempSync(join(tmpdir(), 'ef-report-pages-'));
const report = JSON.parse(readFileSync(resolve(batchDir(dir, batch.batchId), batch.runs[0]!.report, '..', 'report.json'), 'utf8')) as RunReport;
const firstReport = join(pages, 'report.html');
const summaryPage = join(pages, 'summary.html');
writeFileSync(firstReport, renderHtml(report));
writeFileSync(summaryPage, renderRunsSummary(batch));

const browser = await launchChromium();
try {
  for (const [file, name, height] of [
    [firstReport, 'report-db-outage.png', 2400],
    [summaryPage, 'runs-summary-db-outage-x5.png', 900],
  ] as const) {
    const page = await browser.newPage({ viewport: { width: 1280, height } });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.screenshot({ path: join(OUT, name), fullPage: false });
    process.stdout.write(`${join(OUT, name)} ← ${file}\n`);
    await page.close();
  }
} finally {
  await browser.close();
}
