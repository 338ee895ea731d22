/** Small inline-SVG pieces shared by the runs index and the --runs summary: pass/fail over time, a duration trend. */
import { esc, fmtMs } from './format.js';


/** One square per run, oldest first, each linking to its report. */
export function passFailStrip(runs: readonly { label: string; verdict: string; href: string }[]): string {
  const size = 14;
  const gap = 3;
  const W = Math.max(1, runs.length * (size + gap));
  const cells = runs
    .map((r, i) => `<a href="${esc(r.href)}"><rect class="run ${esc(r.verdict)}" x="${i * (size + gap)}" y="0" width="${size}" height="${size}" rx="2"><title>${esc(`${r.label}: ${r.verdict.toUpperCase()}`)}</title></rect></a>`)
    .join('');
  return `<svg class="passfail" width="${W}" height="${size}" viewBox="0 0 ${W} ${size}" role="img" aria-label="pass/fail of each run, oldest first">${cells}</svg>`;
}

/** Durations as a line, oldest first, scaled from 0 to the longest. */
export function durationTrend(durationsMs: readonly number[]): string {
  const W = 220;
  const H = 40;
  if (!durationsMs.length) return '';
  const max = Math.max(...durationsMs, 1);
  const x = (i: number) => (durationsMs.length === 1 ? W / 2 : 4 + (i / (durationsMs.length - 1)) * (W - 8));
  const y = (v: number) => H - 4 - (v / max) * (H - 12);
  const pts = durationsMs.map((d, i) => `${x(i).toFixed(1)},${y(d).toFixed(1)}`).join(' ');
  const dots = durationsMs.map((d, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(d).toFixed(1)}" r="2.2"><title>${esc(fmtMs(d))}</title></circle>`).join('');
  return `<svg class="trend" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="duration of each run, oldest first"><polyline points="${pts}"/>${dots}<text x="${W - 2}" y="9" text-anchor="end">max ${esc(fmtMs(max))}</text></svg>`;
}

export const PAGE_CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#e3e6ec;--bg:#f7f8fa;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}main{padding:0 24px 40px;max-width:1200px;margin:auto}h1{margin:0 0 4px;font-size:1.4rem}h2{font-size:1.1rem;margin:26px 0 8px}
.banner{display:flex;gap:24px;align-items:center;padding:18px 24px;color:#fff}.banner p{margin:2px 0}.banner.pass{background:#22804a}.banner.fail{background:#b42f2f}
.verdict-word{font-size:2.4rem;font-weight:800;white-space:nowrap}.banner code{background:rgba(255,255,255,.18);padding:0 4px;border-radius:3px}.meta{color:var(--muted);font-size:.85rem}.banner .meta{color:#eef}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line);font-size:.85rem}th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}th{background:#f0f2f6}
table.num td{text-align:right}table.num td:first-child{text-align:left}tr.empty td{color:#aab}tr.failed td{background:#fff1f1}
tr.pass .v{color:#22804a;font-weight:700}tr.fail .v{color:#b42f2f;font-weight:700}tr.error .v,tr.interrupted .v{color:#6b4aa6;font-weight:700}
.history{display:flex;gap:32px;align-items:flex-end;flex-wrap:wrap;background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 12px}.history figure{margin:0}.history figcaption{font-size:.75rem;color:var(--muted);margin-bottom:4px}
.run.pass{fill:#2e9d57}.run.fail{fill:#d93f3f}.run.error,.run.interrupted{fill:#8c5cd6}.trend polyline{fill:none;stroke:#3b6fd4;stroke-width:1.5}.trend circle{fill:#3b6fd4}.trend text{font-size:9px;fill:var(--muted)}
`;
