// Small SVG charts for the live panel: lines over time and up/down strips, with fault windows shaded.
// Drawn at the container's pixel width (redrawn on refresh and resize), so text is never stretched.

const SVG = 'http://www.w3.org/2000/svg';
const PAD = { left: 44, right: 10, top: 16, bottom: 20 };

function el(name, attrs = {}, text) {
  const n = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  if (text !== undefined) n.textContent = text;
  return n;
}

const clock = (t) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v) ?? v;
}

function fmt(v) {
  if (v === 0) return '0';
  if (Math.abs(v) >= 100) return String(Math.round(v));
  if (Math.abs(v) >= 10) return v.toFixed(1).replace(/\.0$/, '');
  return v.toFixed(2).replace(/\.?0+$/, '');
}

/** Shaded fault windows with their label, behind the data. */
function drawFaults(svg, faults, x, top, bottom, withLabels) {
  for (const f of faults) {
    const x0 = x(f.from);
    const x1 = Math.max(x(f.to), x0 + 2);
    svg.append(el('rect', { class: 'fault', x: x0, y: top, width: x1 - x0, height: bottom - top, 'data-testid': 'fault-shade' }));
    // Labelled only where it fits: a flapping dependency makes many thin windows.
    if (withLabels && x1 - x0 >= f.label.length * 6) svg.append(el('text', { class: 'fault-label', x: x0 + 3, y: top + 10 }, f.label));
  }
}

/**
 * @param {HTMLElement} box
 * @param {{from: number, to: number, step: number, height?: number,
 *   series: {name: string, label: string, color: string, points: [number, number][]}[],
 *   faults: {from: number, to: number, label: string}[]}} spec  times in seconds since the epoch
 */
export function lineChart(box, spec) {
  const width = Math.max(240, box.clientWidth || 600);
  const height = spec.height ?? 170;
  const x = (t) => PAD.left + ((t - spec.from) / (spec.to - spec.from)) * (width - PAD.left - PAD.right);
  const max = niceMax(Math.max(0, ...spec.series.flatMap((s) => s.points.map((p) => p[1]))));
  const y = (v) => height - PAD.bottom - (v / max) * (height - PAD.top - PAD.bottom);
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  drawFaults(svg, spec.faults, x, PAD.top, height - PAD.bottom, true);
  for (const v of [0, max / 2, max]) {
    svg.append(el('line', { class: 'grid', x1: PAD.left, x2: width - PAD.right, y1: y(v), y2: y(v) }));
    svg.append(el('text', { class: 'axis', x: PAD.left - 4, y: y(v) + 4, 'text-anchor': 'end' }, fmt(v)));
  }
  const ticks = width < 420 ? [spec.from, spec.to] : [spec.from, (spec.from + spec.to) / 2, spec.to];
  for (const t of ticks) {
    const anchor = t === spec.from ? 'start' : t === spec.to ? 'end' : 'middle';
    svg.append(el('text', { class: 'axis', x: x(t), y: height - 5, 'text-anchor': anchor }, clock(t)));
  }
  for (const s of spec.series) {
    // A missing sample breaks the line: no data is not zero.
    let d = '';
    let prev;
    for (const [t, v] of s.points) {
      d += `${prev !== undefined && t - prev <= spec.step * 1.5 ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
      prev = t;
    }
    if (d) svg.append(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2, 'data-series': s.name }));
  }
  const empty = spec.series.every((s) => s.points.length === 0);
  if (empty) svg.append(el('text', { class: 'empty', x: width / 2, y: height / 2, 'text-anchor': 'middle' }, 'no data in this window'));
  box.replaceChildren(svg);
}

/** Consecutive samples in the same state (up: v > 0), without gaps: one rectangle each. */
function runs(samples, step) {
  const out = [];
  for (const [t, v] of samples) {
    const last = out.at(-1);
    if (last && last.up === v > 0 && t - last.to <= step * 1.5) last.to = t;
    else out.push({ from: t, to: t, up: v > 0 });
  }
  return out;
}

/**
 * Up/down strips, one row per series: green up, red down, grey no data.
 * @param {HTMLElement} box
 * @param {{from: number, to: number, step: number, rows: {label: string, attrs: Record<string,string>, samples: [number, number][]}[],
 *   faults: {from: number, to: number, label: string}[]}} spec
 */
export function stripChart(box, spec) {
  const width = Math.max(240, box.clientWidth || 600);
  const rowH = 16;
  const labelW = Math.min(170, Math.round(width * 0.35));
  const height = spec.rows.length * (rowH + 4) + 18;
  const x = (t) => labelW + ((t - spec.from) / (spec.to - spec.from)) * (width - labelW - PAD.right);
  const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
  drawFaults(svg, spec.faults, x, 0, height - 18, false);
  spec.rows.forEach((row, i) => {
    const top = i * (rowH + 4) + 2;
    const g = el('g', { 'data-testid': 'strip', ...row.attrs });
    g.append(el('text', { class: 'axis strip-label', x: labelW - 6, y: top + rowH - 4, 'text-anchor': 'end' }, row.label));
    g.append(el('rect', { class: 'strip-none', x: labelW, y: top, width: width - labelW - PAD.right, height: rowH }));
    for (const run of runs(row.samples, spec.step)) {
      const x0 = Math.max(labelW, x(run.from - spec.step / 2));
      const x1 = x(Math.min(spec.to, run.to + spec.step / 2));
      g.append(el('rect', { class: run.up ? 'strip-up' : 'strip-down', x: x0, y: top, width: Math.max(1, x1 - x0), height: rowH }));
    }
    svg.append(g);
  });
  for (const t of [spec.from, spec.to]) {
    svg.append(el('text', { class: 'axis', x: x(t), y: height - 4, 'text-anchor': t === spec.from ? 'start' : 'end' }, clock(t)));
  }
  if (spec.rows.length === 0) svg.append(el('text', { class: 'empty', x: width / 2, y: 12, 'text-anchor': 'middle' }, 'no data in this window'));
  box.replaceChildren(svg);
}
