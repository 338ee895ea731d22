/** reports/runs/index.html: every run under the reports directory, newest first. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunReport } from '../model.js';
import { esc } from './html.js';

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

export async function listRuns(runsDir: string): Promise<RunListing[]> {
  let dirs: string[];
  try {
    dirs = (await readdir(runsDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  const runs: RunListing[] = [];
  for (const d of dirs) {
    try {
      const r = JSON.parse(await readFile(join(runsDir, d, 'report.json'), 'utf8')) as RunReport;
      runs.push({ runId: r.runId, scenario: r.scenario.name, verdict: r.verdict, startedAt: r.startedAt, durationMs: r.durationMs, checks: r.checks.length, failed: r.checks.filter((c) => !c.passed).length, lost: r.checker?.lost.count });
    } catch {
      // not a run directory (or a broken one): skip
    }
  }
  return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export function renderRunsIndex(runs: RunListing[]): string {
  const rows = runs
    .map(
      (r) =>
        `<tr class="${r.verdict}"><td><a href="${encodeURIComponent(r.runId)}/index.html">${esc(r.runId)}</a></td><td>${esc(r.scenario)}</td><td class="v">${esc(r.verdict.toUpperCase())}</td><td>${esc(r.startedAt)}</td><td>${(r.durationMs / 1000).toFixed(2)} s</td><td>${r.checks - r.failed}/${r.checks}</td><td>${r.lost ?? '—'}</td><td><a href="${encodeURIComponent(r.runId)}/report.json">json</a> · <a href="${encodeURIComponent(r.runId)}/junit.xml">junit</a></td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>EventFlow scenario runs</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#1d2330;background:#f7f8fa}table{border-collapse:collapse;width:100%;background:#fff}th,td{padding:6px 10px;border-bottom:1px solid #e3e6ec;text-align:left}th{background:#f0f2f6}
tr.pass .v{color:#22804a;font-weight:700}tr.fail .v{color:#b42f2f;font-weight:700}tr.error .v,tr.interrupted .v{color:#6b4aa6;font-weight:700}</style></head>
<body><h1>EventFlow scenario runs</h1><p>${runs.length} run(s)</p>
<table><thead><tr><th>run</th><th>scenario</th><th>verdict</th><th>started</th><th>duration</th><th>checks passed</th><th>lost</th><th>files</th></tr></thead>
<tbody>${rows}</tbody></table></body></html>
`;
}
