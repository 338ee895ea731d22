/**
 * An explore batch's reports: explore.json (the record) and index.html (one
 * self-contained page: the verdict, one row per run with its faults drawn on a
 * strip of the run's length, its invariant counts and links to the run's own
 * report, scenario file and repro).
 */
import type { ExploreFault, ExploreReport, ExploreRun } from '../explore-model.js';
import { esc } from './html.js';

/** The invariant columns of the summary (a run's other findings show among its failed checks). */
export const SUMMARY_INVARIANTS = ['lost', 'duplicated', 'oversold', 'conservation'] as const;

export function renderExploreJson(report: ExploreReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const fmtS = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const fmtMs = (ms: number | undefined) => (ms === undefined ? '—' : `${Math.round(ms)} ms`);
const KIND_COLORS: Record<string, string> = { kill: '#d93f3f', stop: '#e0752d', pause: '#8c5cd6', disconnect: '#3b6fd4', restart: '#2e9d57' };

/**
 * The faults of a run on a strip as long as its load: one lane each, the
 * planned window in the kind's colour and, under it, the window the run
 * measured (dark) — they differ: timing is not replayed.
 */
function faultStrip(faults: readonly ExploreFault[], durationMs: number): string {
  const W = 240;
  const LANE = 9;
  const H = Math.max(1, faults.length) * LANE + 1;
  const x = (ms: number) => Math.max(0, Math.min(W, (ms / durationMs) * W));
  const bar = (from: number, to: number | undefined, y: number, h: number, fill: string, title: string) =>
    `<rect x="${x(from).toFixed(1)}" y="${y}" width="${Math.max(3, x(to ?? from) - x(from)).toFixed(1)}" height="${h}" rx="1" fill="${fill}"><title>${esc(title)}</title></rect>`;
  const lanes = faults
    .map((f, i) => {
      const planned = bar(f.atMs, f.forMs === undefined ? undefined : f.atMs + f.forMs, i * LANE + 1, 5, KIND_COLORS[f.kind] ?? '#777', `planned: ${f.label}`);
      const actual = (f.actual ?? []).map((w) => bar(w.fromMs, w.toMs ?? durationMs, i * LANE + 6, 2, '#1d2330', `as run: ${f.kind} ${f.target} ${fmtS(w.fromMs)} → ${w.toMs === undefined ? 'rollback' : fmtS(w.toMs)}`));
      return planned + actual.join('');
    })
    .join('');
  return `<svg class="strip" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="fault windows, planned and as run"><rect width="${W}" height="${H}" fill="#f0f2f6"/>${lanes}</svg>`;
}

function link(href: string | undefined, text: string): string {
  return href ? `<a href="${esc(href)}">${esc(text)}</a>` : '';
}

function runRow(r: ExploreRun, durationMs: number): string {
  const inv = SUMMARY_INVARIANTS.map((k) => {
    const v = r.invariants[k];
    return `<td class="n${v ? ' bad' : ''}">${v ?? '—'}</td>`;
  }).join('');
  const files = [link(r.reportPath, 'report'), link(r.scenarioPath, 'scenario.yaml'), link(r.repro?.path, 'repro.yaml')].filter(Boolean).join(' · ');
  const repro = r.repro
    ? `<div class="repro">repro: ${r.repro.faults.map((f) => esc(f.label)).join('; ')}${r.repro.shrunk ? ` <span class="meta">(shrunk from ${r.faults.length} fault${r.faults.length > 1 ? 's' : ''} in ${r.repro.reruns} rerun${r.repro.reruns > 1 ? 's' : ''})</span>` : r.repro.reruns ? ` <span class="meta">(no fault could be dropped in ${r.repro.reruns} rerun${r.repro.reruns > 1 ? 's' : ''})</span>` : ''}</div>`
    : '';
  const problems = [...r.failedChecks, ...(r.error ? [r.error] : [])];
  return `<tr class="${esc(r.verdict)}">
<td>${r.index}</td><td><code>${r.seed}</code></td><td class="v">${esc(r.verdict.toUpperCase())}</td>
<td>${faultStrip(r.faults, durationMs)}<div class="faults">${r.faults.map((f) => esc(f.label)).join('<br>')}</div>${repro}${problems.length ? `<div class="err">${problems.map(esc).join('<br>')}</div>` : ''}</td>
${inv}<td class="n">${r.unknown ?? '—'}</td><td class="n">${fmtMs(r.p99DuringMs)}</td><td class="n">${fmtS(r.durationMs)}</td><td>${files}</td></tr>`;
}

export function renderExploreHtml(report: ExploreReport): string {
  const passed = report.runs.filter((r) => r.verdict === 'pass').length;
  const o = report.options;
  const banner = report.verdict === 'pass' ? 'pass' : report.verdict === 'fail' ? 'fail' : 'error';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>explore seed ${report.seed} — ${esc(report.verdict.toUpperCase())} — EventFlow</title>
<style>${CSS}</style></head>
<body>
<header class="banner ${banner}"><div class="word">${esc(report.verdict.toUpperCase())}</div><div>
<h1>eventflow explore --seed ${report.seed}</h1>
<p>${passed}/${report.runs.length} run(s) passed${report.runs.length < o.runs ? ` (${o.runs} asked)` : ''} · ${fmtS(report.durationMs)} · stack <code>${esc(report.stackId)}</code> · exit ${report.exitCode}</p>
<p class="meta">${o.runs} runs × ${fmtS(o.durationMs)} of load at ${o.rate}/s · 1..${o.maxFaults} faults per run among ${o.faults.map(esc).join(', ')} · targets ${o.targets.map(esc).join(', ')} · shrinking up to ${o.shrinkReruns} reruns · generator ${report.generator} · ${esc(report.startedAt)}</p>
</div></header>
<main>
<p class="note">${esc(report.note)}</p>
<table><thead><tr><th>run</th><th>seed</th><th>verdict</th><th>faults (strip: the run's ${fmtS(o.durationMs)} of load; planned in colour, as run in black)</th>${SUMMARY_INVARIANTS.map((k) => `<th>${k}</th>`).join('')}<th>unknown</th><th>p99 during faults</th><th>time</th><th>files</th></tr></thead>
<tbody>
${report.runs.map((r) => runRow(r, o.durationMs)).join('\n')}
</tbody></table>
<p class="legend">${Object.entries(KIND_COLORS).map(([k, c]) => `<span class="sw" style="background:${c}"></span> ${esc(k)}`).join(' ')}</p>
</main></body></html>
`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#e3e6ec;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#f7f8fa}
body{margin:0}main{padding:0 24px 40px;max-width:1300px;margin:auto}h1{margin:0 0 4px;font-size:1.4rem}
.banner{display:flex;gap:24px;align-items:center;padding:16px 24px;color:#fff}.banner p{margin:2px 0}.banner.pass{background:#22804a}.banner.fail{background:#b42f2f}.banner.error{background:#6b4aa6}
.banner code{background:rgba(255,255,255,.18);padding:0 4px;border-radius:3px}.word{font-size:2.2rem;font-weight:800}.meta{color:var(--muted);font-size:.8rem}.banner .meta{color:#eef}
.note{background:#fffbe6;border:1px solid #f0e2a0;padding:8px 12px;border-radius:6px;font-size:.85rem}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);font-size:.85rem}th,td{padding:6px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}th{background:#f0f2f6}
td.n{text-align:right;white-space:nowrap}td.bad{color:#b42f2f;font-weight:700}.v{font-weight:700}tr.pass .v{color:#22804a}tr.fail .v{color:#b42f2f}tr.error .v,tr.interrupted .v{color:#6b4aa6}
.faults{font-size:.78rem;color:var(--muted);margin-top:2px}.repro{font-size:.8rem;margin-top:4px}.err{color:#b42f2f;font-size:.8rem;margin-top:4px}svg.strip{display:block}
.legend{font-size:.8rem;color:var(--muted)}.sw{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:middle;margin-left:8px}
`;
