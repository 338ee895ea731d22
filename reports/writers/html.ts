/**
 * index.html: a self-contained report (inline CSS, inline SVG, a few lines of
 * inline JS for hover details; no network). Drawn on the server side so that
 * it reads the same with scripts off.
 */
import type { Check, Op, PhaseStats, RunReport } from '../model.js';
import { CHART_CSS, metricsSection } from './html-charts.js';
import { grafanaSection } from './html-grafana.js';
import { esc, fmtMs } from './format.js';
import { orderSplitText } from '../summary-lines.js';

export { esc };

const COLORS = { ok: '#2e9d57', degraded: '#e3a008', fail: '#d93f3f', unknown: '#8c5cd6' } as const;

export function opColor(op: Op): string {
  if (op.outcome === 'fail') return COLORS.fail;
  if (op.outcome === 'unknown') return COLORS.unknown;
  return op.degraded ? COLORS.degraded : COLORS.ok;
}


export function renderHtml(report: RunReport): string {
  const t0 = report.startMs;
  const span = Math.max(1, report.endMs - t0);
  const W = 1000;
  const x = (t: number) => Math.max(0, Math.min(W, ((t - t0) / span) * W));
  const verdictClass = report.verdict === 'pass' ? 'pass' : report.verdict === 'fail' ? 'fail' : 'error';
  const failed = report.checks.filter((c) => !c.passed);
  const c = report.checker;

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(report.scenario.name)} — ${esc(report.verdict.toUpperCase())} — EventFlow run ${esc(report.runId)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="banner ${verdictClass}" id="verdict">
  <div class="verdict-word">${esc(report.verdict.toUpperCase())}</div>
  <div>
    <h1>${esc(report.scenario.name)}</h1>
    <p>${esc(report.scenario.description ?? '')}</p>
    <p class="meta">run <code>${esc(report.runId)}</code> · ${esc(report.startedAt)} · ${fmtMs(report.durationMs)} · stack <code>${esc(report.environment.stackId)}</code>${report.environment.ephemeral ? ' (ephemeral)' : ''} · exit ${report.exitCode} · parameters ${Object.entries(report.scenario.parameters).map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`).join(' ')}</p>
    ${report.error ? `<p class="err">${esc(report.error)}</p>` : ''}
    ${c ? `<p class="meta" id="orders">purchases: ${esc(`${c.attempted} attempted, ${c.acknowledged} acknowledged — ${orderSplitText(c)}`)}</p>` : ''}
    <p class="meta">${report.checks.length - failed.length}/${report.checks.length} checks passed${failed.length ? ` — failed: ${failed.map((f) => esc(f.name)).join('; ')}` : ''}</p>
  </div>
</header>
<main>
<section class="cards" id="figures">
  ${card('time to detect', fmtMs(report.timings.timeToDetectMs), 'fault → first degraded answer')}
  ${card('time to recover', fmtMs(report.timings.timeToRecoverMs), 'heal → first normal answer')}
  ${card('backlog drain', fmtMs(report.timings.drainMs), 'heal → queues empty, all persisted')}
  ${card('requests', String(report.history.summary.total), `${report.history.summary.purchases} purchases · ${report.history.summary.reads} reads`)}
  ${card('acknowledged', String(c?.acknowledged ?? report.history.summary.acknowledged), c ? orderSplitText(c) : '')}
  ${card('lost', String(c?.lost.count ?? '—'), 'must be 0', c ? c.lost.count > 0 : false)}
  ${card('duplicated', String(c?.duplicated.count ?? '—'), 'must be 0', c ? c.duplicated.count > 0 : false)}
  ${card('oversold', String(c?.oversold.count ?? '—'), 'must be 0', c ? c.oversold.count > 0 : false)}
  ${card('conservation', String(c?.conservation.count ?? '—'), 'must be 0', c ? c.conservation.count > 0 : false)}
  ${card('unexpected', String(c?.unexpected.count ?? '—'), 'must be 0', c ? c.unexpected.count > 0 : false)}
  ${card('unknown outcomes', String(c?.unknown.count ?? report.history.summary.byOutcome.unknown), c ? `${c.unknown.recovered} recovered · ${c.unknown.notRecovered} not` : '')}
</section>

<section id="timeline">
  <h2>Timeline</h2>
  <p class="legend">${legend()} <span class="sw fw"></span> fault window · each dot is one request at its invoke time, height = latency</p>
  ${timeline(report, W, x)}
</section>

${metricsSection(report)}
${grafanaSection(report)}

<section id="verdicts">
  <h2>Verdicts</h2>
  <table class="checks">
    <thead><tr><th></th><th>check</th><th>category</th><th>value</th><th>limit</th><th>detail</th></tr></thead>
    <tbody>${report.checks.map(checkRow).join('\n')}</tbody>
  </table>
</section>

<section id="phases">
  <h2>Latency and errors per phase</h2>
  <table class="num">
    <thead><tr><th>phase</th><th>kind</th><th>requests</th><th>ok</th><th>degraded</th><th>failed</th><th>unknown</th><th>error rate</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr></thead>
    <tbody>${(['before', 'during', 'after', 'all'] as const)
      .flatMap((p) => (['purchase', 'read'] as const).map((k) => phaseRow(p, k, report.history.phases[p][k])))
      .join('\n')}</tbody>
  </table>
</section>

<section id="steps">
  <h2>Steps</h2>
  <table>
    <thead><tr><th>#</th><th>step</th><th>what</th><th>start</th><th>duration</th><th>status</th><th>detail</th></tr></thead>
    <tbody>${report.steps
      .map(
        (s) =>
          `<tr class="${s.status}"><td>${s.section === 'rollback' ? 'rb' : s.index + 1}</td><td><code>${esc(s.id)}</code></td><td>${esc(s.kind)}: ${esc(s.label)}</td><td>+${((s.startMs - t0) / 1000).toFixed(2)} s</td><td>${fmtMs(s.durationMs)}</td><td>${esc(s.status)}</td><td>${esc(s.detail ?? '')}${s.error ? ` <span class="err">${esc(s.error)}</span>` : ''}</td></tr>`,
      )
      .join('\n')}</tbody>
  </table>
  <h3>Steady state</h3>
  <table>
    <thead><tr><th>when</th><th>probe</th><th>result</th><th>detail</th></tr></thead>
    <tbody>${(['before', 'after'] as const)
      .flatMap((w) => report.probes[w].map((p) => `<tr class="${p.ok ? 'ok' : 'failed'}"><td>${w}</td><td>${esc(p.name)}</td><td>${p.ok ? '✔' : '✘'}</td><td>${esc(p.detail)}</td></tr>`))
      .join('\n')}</tbody>
  </table>
  <h3>Wall time</h3>
  <p class="meta">${Object.entries(report.wall).map(([k, v]) => `${esc(k.replace(/Ms$/, ''))} ${fmtMs(v)}`).join(' · ')}</p>
</section>

${report.warnings.length ? `<section id="warnings"><h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul></section>` : ''}

<section id="history">
  <h2>History</h2>
  <p class="meta">${Object.entries(report.history.summary.byStatus).map(([k, v]) => `${v}× ${esc(k)}`).join(' · ')}${Object.keys(report.history.summary.byNode).length ? ` — answered by ${Object.entries(report.history.summary.byNode).map(([k, v]) => `${esc(k)} ${v}`).join(', ')}` : ''}</p>
  <details><summary>${report.history.ops.length} operations${report.history.ops.length > 2000 ? ' (first 2000 shown; all in report.json)' : ''}</summary>
  <table class="ops">
    <thead><tr><th>op</th><th>step</th><th>kind</th><th>key</th><th>invoke</th><th>latency</th><th>outcome</th><th>HTTP</th><th>status</th><th>node</th><th>order</th></tr></thead>
    <tbody>${report.history.ops
      .slice(0, 2000)
      .map(
        (o) =>
          `<tr><td>${o.id}</td><td>${esc(o.step)}</td><td>${o.kind}</td><td><code>${esc(o.key ?? '')}</code></td><td>+${((o.invokeMs - t0) / 1000).toFixed(3)}</td><td>${Math.round(o.latencyMs)} ms</td><td><span class="dot" style="background:${opColor(o)}"></span>${o.outcome}</td><td>${o.httpStatus ?? ''}</td><td>${esc(o.status ?? o.error ?? '')}</td><td>${esc(o.node ?? '')}</td><td><code>${esc(o.orderId ?? '')}</code></td></tr>`,
      )
      .join('\n')}</tbody>
  </table></details>
</section>

<section id="scenario">
  <h2>Scenario</h2>
  <p class="meta">${esc(report.scenario.file)} · EventFlow ${esc(report.environment.eventflowVersion)} · ${esc(report.environment.node)} · ${esc(report.environment.platform)} · ${esc(report.environment.hostname)}</p>
  <details><summary>source</summary><pre>${esc(report.scenario.source)}</pre></details>
</section>
</main>
<div id="tip" role="tooltip" hidden></div>
<script>${JS}</script>
</body>
</html>
`;
}

function card(title: string, value: string, sub: string, bad = false): string {
  return `<div class="card${bad ? ' bad' : ''}"><div class="t">${esc(title)}</div><div class="v">${esc(value)}</div><div class="s">${esc(sub)}</div></div>`;
}

function legend(): string {
  return [
    ['ok', 'normal answer'],
    ['degraded', 'degraded path (202, stale)'],
    ['fail', 'failed'],
    ['unknown', 'unknown (timeout, reset)'],
  ]
    .map(([k, t]) => `<span class="sw" style="background:${COLORS[k as keyof typeof COLORS]}"></span> ${t}`)
    .join(' ');
}

function checkRow(c: Check): string {
  return `<tr class="${c.passed ? 'ok' : 'failed'}" data-check="${esc(c.id)}"><td>${c.passed ? '✔' : '✘'}</td><td>${esc(c.name)}</td><td>${esc(c.category)}</td><td>${esc(c.value ?? '')}</td><td>${esc(c.limit ?? '')}</td><td>${esc(c.message)}</td></tr>`;
}

function phaseRow(phase: string, kind: string, s: PhaseStats): string {
  if (!s.count) return `<tr class="empty"><td>${phase}</td><td>${kind}</td><td>0</td><td colspan="9"></td></tr>`;
  return `<tr><td>${phase}</td><td>${kind}</td><td>${s.count}</td><td>${s.ok}</td><td>${s.degraded}</td><td>${s.fail}</td><td>${s.unknown}</td><td>${(s.errorRate * 100).toFixed(1)} %</td><td>${fmtMs(s.latency.p50)}</td><td>${fmtMs(s.latency.p95)}</td><td>${fmtMs(s.latency.p99)}</td><td>${fmtMs(s.latency.max)}</td></tr>`;
}

function timeline(report: RunReport, W: number, x: (t: number) => number): string {
  const ops = report.history.ops;
  const stepsH = report.steps.length * 14 + 8;
  const chartTop = stepsH + 10;
  const chartH = 220;
  const H = chartTop + chartH + 28;
  const maxLat = Math.max(10, ...ops.map((o) => o.latencyMs));
  const y = (ms: number) => chartTop + chartH - (Math.log10(1 + ms) / Math.log10(1 + maxLat)) * (chartH - 6) - 3;
  const parts: string[] = [];
  // fault windows shaded across the whole height
  for (const w of report.faultWindows) {
    const x1 = x(w.startMs);
    const x2 = x(w.endMs ?? report.endMs);
    parts.push(
      `<rect class="fault-window" x="${x1.toFixed(1)}" y="0" width="${Math.max(2, x2 - x1).toFixed(1)}" height="${chartTop + chartH}"><title>${esc(`${w.action} ${w.service}: ${((w.startMs - report.startMs) / 1000).toFixed(2)} s → ${w.endMs ? `${((w.endMs - report.startMs) / 1000).toFixed(2)} s (${w.healedBy})` : 'end'}`)}</title></rect>`,
      `<text class="flabel" x="${(x1 + 3).toFixed(1)}" y="${chartTop + 12}">${esc(`${w.action} ${w.service}`)}</text>`,
    );
  }
  // steps as a Gantt strip
  report.steps.forEach((s, i) => {
    const x1 = x(s.startMs);
    const x2 = x(s.endMs ?? s.startMs);
    const yy = 4 + i * 14;
    parts.push(
      `<rect class="step ${esc(s.kind)} ${esc(s.status)}" x="${x1.toFixed(1)}" y="${yy}" width="${Math.max(2, x2 - x1).toFixed(1)}" height="10"><title>${esc(`${s.id}: ${s.label} (${s.durationMs ?? '?'} ms) ${s.detail ?? ''}`)}</title></rect>`,
      `<text class="slabel" x="${Math.min(W - 4, x2 + 4).toFixed(1)}" y="${yy + 9}"${x2 > W - 160 ? ` text-anchor="end" dx="${-(x2 - x1) - 8}"` : ''}>${esc(s.id)}</text>`,
    );
  });
  // latency gridlines
  for (const ms of [1, 10, 100, 1000, 10000]) {
    if (ms > maxLat * 1.05) continue;
    parts.push(`<line class="grid" x1="0" x2="${W}" y1="${y(ms).toFixed(1)}" y2="${y(ms).toFixed(1)}"/><text class="axis" x="2" y="${(y(ms) - 2).toFixed(1)}">${ms >= 1000 ? `${ms / 1000} s` : `${ms} ms`}</text>`);
  }
  // time axis
  const span = report.endMs - report.startMs;
  const tick = niceTick(span / 8);
  for (let t = 0; t <= span; t += tick) {
    const xx = x(report.startMs + t);
    parts.push(`<line class="grid" x1="${xx.toFixed(1)}" x2="${xx.toFixed(1)}" y1="${chartTop}" y2="${chartTop + chartH}"/><text class="axis" x="${xx.toFixed(1)}" y="${chartTop + chartH + 14}" text-anchor="${t === 0 ? "start" : "middle"}">${(t / 1000).toFixed(tick < 1000 ? 1 : 0)} s</text>`);
  }
  // requests
  for (const o of ops) {
    const shape = o.kind === 'purchase' ? `<circle cx="${x(o.invokeMs).toFixed(1)}" cy="${y(o.latencyMs).toFixed(1)}" r="3.2"` : `<rect x="${(x(o.invokeMs) - 2.6).toFixed(1)}" y="${(y(o.latencyMs) - 2.6).toFixed(1)}" width="5.2" height="5.2"`;
    parts.push(
      `${shape} class="op" fill="${opColor(o)}" data-op="${o.id}"><title>${esc(`#${o.id} ${o.kind} ${o.step} → ${o.httpStatus ?? 'no response'} ${o.status ?? o.error ?? ''} in ${Math.round(o.latencyMs)} ms${o.node ? ` by ${o.node}` : ''}${o.key ? ` key ${o.key}` : ''}`)}</title></${o.kind === 'purchase' ? 'circle' : 'rect'}>`,
    );
  }
  return `<svg class="timeline" viewBox="0 -2 ${W} ${H}" preserveAspectRatio="none" role="img" aria-label="timeline of requests by outcome with fault windows">${parts.join('')}<text class="axis" x="${W - 2}" y="${chartTop + chartH + 26}" text-anchor="end">time since start · ● purchase ■ read</text></svg>`;
}

function niceTick(raw: number): number {
  const steps = [100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000];
  return steps.find((s) => s >= raw) ?? 600000;
}

const CSS = `${CHART_CSS}
:root{--fg:#1d2330;--muted:#5b6475;--line:#e3e6ec;--bg:#f7f8fa;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}main{padding:0 24px 40px;max-width:1200px;margin:auto}
h1{margin:0 0 4px;font-size:1.5rem}h2{font-size:1.1rem;margin:28px 0 8px}h3{font-size:.95rem;margin:18px 0 6px}
.banner{display:flex;gap:24px;align-items:center;padding:18px 24px;color:#fff}.banner p{margin:2px 0}
.banner.pass{background:#22804a}.banner.fail{background:#b42f2f}.banner.error{background:#6b4aa6}
.verdict-word{font-size:2.4rem;font-weight:800;letter-spacing:.05em}.banner code{background:rgba(255,255,255,.18);padding:0 4px;border-radius:3px}
.meta{color:var(--muted);font-size:.85rem}.banner .meta{color:#eef}.err{color:#ffd7d7;font-weight:600}main .err{color:#b42f2f}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-top:18px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px}.card .t{font-size:.75rem;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:1.5rem;font-weight:700}.card .s{font-size:.75rem;color:var(--muted)}.card.bad{border-color:#d93f3f;background:#fff1f1}.card.bad .v{color:#b42f2f}
svg.timeline{width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:8px}
.fault-window{fill:#d93f3f;opacity:.10}.flabel{font-size:10px;fill:#b42f2f}.step{fill:#9fb3d9}.step.fault{fill:#e58b8b;opacity:1}.step.wait{fill:#c9c9c9}.step.failed{stroke:#b42f2f;stroke-width:2}
.slabel{font-size:9px;fill:var(--muted)}.grid{stroke:#eef0f4;stroke-width:1}.axis{font-size:9px;fill:var(--muted)}.op{stroke:#fff;stroke-width:.5}.op:hover{stroke:#000;stroke-width:1.5}
.legend{font-size:.8rem;color:var(--muted)}.sw{display:inline-block;width:10px;height:10px;border-radius:2px;vertical-align:middle;margin-left:8px}.sw.fw{background:#d93f3f;opacity:.25}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);font-size:.85rem}th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f0f2f6;font-weight:600}tr.failed td{background:#fff1f1}tr.failed td:first-child{color:#b42f2f;font-weight:700}tr.ok td:first-child{color:#22804a}tr.empty td{color:#aab}
table.num td{text-align:right}table.num td:nth-child(-n+2){text-align:left}.dot{display:inline-block;width:8px;height:8px;border-radius:50%;margin-right:4px}
pre{background:#fff;border:1px solid var(--line);padding:10px;overflow:auto;font-size:.8rem}details summary{cursor:pointer;color:#3b6fd4}
#tip{position:fixed;pointer-events:none;background:#1d2330;color:#fff;font-size:.75rem;padding:4px 6px;border-radius:4px;max-width:420px}
`;

const JS = `
(function(){
  var tip=document.getElementById('tip');
  document.querySelectorAll('svg.timeline .op').forEach(function(el){
    el.addEventListener('mousemove',function(e){var t=el.querySelector('title');tip.textContent=t?t.textContent:'';tip.hidden=false;tip.style.left=(e.clientX+12)+'px';tip.style.top=(e.clientY+12)+'px';});
    el.addEventListener('mouseleave',function(){tip.hidden=true;});
  });
})();
`;
