/** A `--runs N` summary page (summary.json's view): self-contained HTML, no script needed. */
import type { RunsSummary } from '../runs-model.js';
import { esc, fmtMs } from './format.js';
import { PAGE_CSS, durationTrend, passFailStrip } from './runs-charts.js';

const pct = (v: number) => `${(v * 100).toFixed(v === 0 || v === 1 ? 0 : 1)} %`;

export function renderRunsSummary(s: RunsSummary): string {
  const ok = s.passed === s.runs.length && s.runs.length === s.requested;
  const latencyRows = (['before', 'during', 'after'] as const)
    .map((p) => {
      const l = s.latency[p];
      if (!l.count) return `<tr class="empty"><td>${p}</td><td>0</td><td colspan="5"></td></tr>`;
      return `<tr><td>${p}</td><td>${l.count}</td><td>${fmtMs(l.p50)}</td><td>${fmtMs(l.p95)}</td><td>${fmtMs(l.p99)}</td><td>${fmtMs(l.max)}</td><td>${l.perRunP95 ? `${fmtMs(l.perRunP95.min)} · ${fmtMs(l.perRunP95.median)} · ${fmtMs(l.perRunP95.max)}` : '—'}</td></tr>`;
    })
    .join('');
  const runRows = s.runs
    .map(
      (r) =>
        `<tr class="${r.verdict}" data-run="${r.index}"><td>${r.index}</td><td><a href="${esc(r.report)}">${esc(r.runId)}</a></td><td class="v">${esc(r.verdict.toUpperCase())}</td><td>${fmtMs(r.durationMs)}</td><td>${r.orders ? `${r.orders.confirmed} / ${r.orders.rejected} / ${r.orders.pending}` : '—'}</td><td>${r.failedChecks.map(esc).join('; ') || '—'}</td></tr>`,
    )
    .join('');
  const failedRows = s.failedChecks.length
    ? s.failedChecks.map((f) => `<tr class="failed"><td>${esc(f.name)}</td><td>${f.runs.length}</td><td>${f.runs.map((i) => `#${i}`).join(', ')}</td></tr>`).join('')
    : '<tr><td colspan="3">no check failed in any run</td></tr>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(s.scenario)} × ${s.runs.length} — ${pct(s.passRate)} passed — EventFlow</title>
<style>${PAGE_CSS}</style></head>
<body>
<header class="banner ${ok ? 'pass' : 'fail'}" id="verdict">
  <div class="verdict-word" id="pass-rate">${pct(s.passRate)}</div>
  <div>
    <h1>${esc(s.scenario)}: ${s.passed} of ${s.runs.length} runs passed${s.runs.length < s.requested ? ` (${s.requested} asked for: interrupted)` : ''}</h1>
    <p id="confidence">pass rate ${pct(s.passRate)} — 95 % confidence interval ${pct(s.confidence.low)} … ${pct(s.confidence.high)} (Wilson score)</p>
    <p class="meta">batch <code>${esc(s.batchId)}</code> · ${esc(s.startedAt)} · ${fmtMs(s.durationMs)} · stack <code>${esc(s.stackId)}</code> · exit ${s.exitCode} · parameters ${Object.entries(s.parameters).map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`).join(' ')}</p>
  </div>
</header>
<main>
<section id="runs-chart"><h2>Runs</h2>
  <div class="history"><figure><figcaption>pass / fail, run 1 → ${s.runs.length}</figcaption>${passFailStrip(s.runs.map((r) => ({ label: `#${r.index} ${r.runId}`, verdict: r.verdict, href: r.report })))}</figure><figure><figcaption>duration of each run</figcaption>${durationTrend(s.runs.map((r) => r.durationMs))}</figure></div>
</section>
<section id="failed-checks"><h2>Checks that failed</h2>
<table><thead><tr><th>check</th><th>runs failed</th><th>which runs</th></tr></thead><tbody>${failedRows}</tbody></table></section>
<section id="latency"><h2>Purchase latency per phase, all runs</h2>
<table class="num"><thead><tr><th>phase</th><th>purchases</th><th>p50</th><th>p95</th><th>p99</th><th>max</th><th>each run's p95: min · median · max</th></tr></thead><tbody>${latencyRows}</tbody></table></section>
<section id="runs"><h2>Each run</h2>
<table><thead><tr><th>#</th><th>run</th><th>verdict</th><th>duration</th><th>orders confirmed / rejected after ack / pending</th><th>failed checks</th></tr></thead><tbody>${runRows}</tbody></table>
<p class="meta"><a href="summary.json">summary.json</a> · <a href="../../index.html">all runs</a></p></section>
</main>
</body></html>
`;
}
