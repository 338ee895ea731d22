/**
 * Series derived from /metrics samples taken at fixed ticks: gauges as they
 * were, counters as increases over a short sliding window (rate, ratio and
 * histogram quantile are built on those increases). Pure functions: the
 * sampler collects ticks, the chart registry (charts.ts) says what to draw.
 */
import type { Sample } from './exposition.js';

/** One round of scrapes: every target's samples, or null when its /metrics did not answer. */
export interface Tick {
  atMs: number;
  scrapes: Record<string, Sample[] | null>;
}

/** A scraped service and its topology group (api, worker, analytics…). */
export interface ScrapeTarget {
  service: string;
  group: string;
}

export type Point = [number, number];
export interface DerivedSeries {
  labels: Record<string, string>;
  points: Point[];
}

/** Which samples count, and the labels they are drawn under (`undefined` drops a sample). */
export interface Selection {
  name: string;
  services: (t: ScrapeTarget) => boolean;
  legend: (sample: Sample, t: ScrapeTarget) => Record<string, string> | undefined;
}

const keyOf = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));

class SeriesSet {
  private readonly byKey = new Map<string, DerivedSeries>();
  add(labels: Record<string, string>, point: Point): void {
    const k = keyOf(labels);
    let s = this.byKey.get(k);
    if (!s) this.byKey.set(k, (s = { labels, points: [] }));
    s.points.push(point);
  }
  list(): DerivedSeries[] {
    return [...this.byKey.values()].sort((a, b) => keyOf(a.labels).localeCompare(keyOf(b.labels)));
  }
}

function* selected(tick: Tick, targets: readonly ScrapeTarget[], sel: Selection): Generator<{ sample: Sample; target: ScrapeTarget; legend: Record<string, string> }> {
  for (const target of targets) {
    if (!sel.services(target)) continue;
    for (const sample of tick.scrapes[target.service] ?? []) {
      if (sample.name !== sel.name) continue;
      const legend = sel.legend(sample, target);
      if (legend) yield { sample, target, legend };
    }
  }
}

/** A gauge as sampled; several samples under one legend at one tick: the largest. */
export function gaugeSeries(ticks: readonly Tick[], targets: readonly ScrapeTarget[], sel: Selection): DerivedSeries[] {
  const out = new SeriesSet();
  for (const tick of ticks) {
    const at = new Map<string, { labels: Record<string, string>; v: number }>();
    for (const { sample, legend } of selected(tick, targets, sel)) {
      const k = keyOf(legend);
      const prev = at.get(k);
      if (!prev || sample.value > prev.v) at.set(k, { labels: legend, v: sample.value });
    }
    for (const { labels, v } of at.values()) if (Number.isFinite(v)) out.add(labels, [tick.atMs, v]);
  }
  return out.list();
}

/** 1 when the target's /metrics answered at that tick, 0 when it did not. */
export function scrapedUpSeries(ticks: readonly Tick[], targets: readonly ScrapeTarget[], include: (t: ScrapeTarget) => boolean): DerivedSeries[] {
  const out = new SeriesSet();
  for (const tick of ticks) for (const t of targets) if (include(t) && t.service in tick.scrapes) out.add({ service: t.service }, [tick.atMs, tick.scrapes[t.service] ? 1 : 0]);
  return out.list();
}

/** Per tick, per legend: the summed counter increase over the window behind it, and the window's length. */
export interface Increase {
  atMs: number;
  seconds: number;
  byLegend: Map<string, { labels: Record<string, string>; inc: number }>;
}

/** The earliest tick at least `windowMs` before tick i (or the first one), never i itself. */
function windowStart(ticks: readonly Tick[], i: number, windowMs: number): number | undefined {
  if (i === 0) return undefined;
  let j = i - 1;
  while (j > 0 && ticks[i]!.atMs - ticks[j]!.atMs < windowMs) j--;
  return j;
}

export function increases(ticks: readonly Tick[], targets: readonly ScrapeTarget[], sel: Selection, windowMs: number): Increase[] {
  const out: Increase[] = [];
  for (let i = 0; i < ticks.length; i++) {
    const j = windowStart(ticks, i, windowMs);
    if (j === undefined) continue;
    const before = new Map<string, number>();
    for (const { sample, target } of selected(ticks[j]!, targets, sel)) before.set(`${target.service}${keyOf(sample.labels)}`, sample.value);
    const byLegend = new Map<string, { labels: Record<string, string>; inc: number }>();
    let seen = false;
    for (const { sample, target, legend } of selected(ticks[i]!, targets, sel)) {
      // Unknown when the service did not answer then; a label set born since counted from 0.
      if (!ticks[j]!.scrapes[target.service]) continue;
      const prev = before.get(`${target.service}${keyOf(sample.labels)}`) ?? 0;
      seen = true;
      // A counter that went down was reset (the process restarted): it counted from 0.
      const inc = sample.value >= prev ? sample.value - prev : sample.value;
      const k = keyOf(legend);
      const entry = byLegend.get(k) ?? { labels: legend, inc: 0 };
      entry.inc += inc;
      byLegend.set(k, entry);
    }
    if (seen) out.push({ atMs: ticks[i]!.atMs, seconds: (ticks[i]!.atMs - ticks[j]!.atMs) / 1000, byLegend });
  }
  return out;
}

/** Increase per second of a counter, summed per legend. */
export function rateSeries(incs: readonly Increase[]): DerivedSeries[] {
  const out = new SeriesSet();
  for (const w of incs) for (const { labels, inc } of w.byLegend.values()) out.add(labels, [w.atMs, round(inc / w.seconds)]);
  return out.list();
}

/** numerator / denominator per legend, where the denominator grew (no traffic = no point, not 0). */
export function ratioSeries(num: readonly Increase[], den: readonly Increase[]): DerivedSeries[] {
  const out = new SeriesSet();
  const numAt = new Map(num.map((w) => [w.atMs, w]));
  for (const w of den) {
    for (const [k, { labels, inc }] of w.byLegend) {
      if (inc <= 0) continue;
      out.add(labels, [w.atMs, round((numAt.get(w.atMs)?.byLegend.get(k)?.inc ?? 0) / inc)]);
    }
  }
  return out.list();
}

/**
 * Prometheus' histogram_quantile over bucket increases: the legend of each
 * bucket increase must carry `le`; it is removed from the result's labels.
 */
export function quantileSeries(q: number, buckets: readonly Increase[]): DerivedSeries[] {
  const out = new SeriesSet();
  for (const w of buckets) {
    const groups = new Map<string, { labels: Record<string, string>; les: [number, number][] }>();
    for (const { labels, inc } of w.byLegend.values()) {
      const { le, ...rest } = labels;
      if (le === undefined) continue;
      const k = keyOf(rest);
      const g = groups.get(k) ?? { labels: rest, les: [] };
      g.les.push([le === '+Inf' ? Infinity : Number(le), inc]);
      groups.set(k, g);
    }
    for (const { labels, les } of groups.values()) {
      const v = bucketQuantile(q, les);
      if (v !== undefined) out.add(labels, [w.atMs, round(v)]);
    }
  }
  return out.list();
}

/** `les`: [upper bound, cumulative count]; undefined without observations. */
export function bucketQuantile(q: number, les: [number, number][]): number | undefined {
  const sorted = [...les].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (!sorted.length || total <= 0 || sorted.at(-1)![0] !== Infinity) return undefined;
  const rank = q * total;
  let prevBound = 0;
  let prevCount = 0;
  for (const [bound, count] of sorted) {
    if (count >= rank) {
      if (bound === Infinity) return prevBound;
      if (count === prevCount) return bound;
      return prevBound + ((bound - prevBound) * (rank - prevCount)) / (count - prevCount);
    }
    prevBound = bound;
    prevCount = count;
  }
  return prevBound;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
