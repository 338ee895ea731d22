/** Percentiles, phases (before / during a fault / after) and recovery timings over a history. */
import type { FaultWindow, KindFilter, Op, PhaseFilter, PhaseName, PhaseStats, PhaseTable, Timings } from '../../reports/model.js';

export type { FaultWindow, KindFilter, PhaseFilter, PhaseName, PhaseStats, PhaseTable, Timings } from '../../reports/model.js';

/** Linear interpolation between closest ranks (numpy's default). `sorted` ascending. */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  if (p <= 0) return sorted[0];
  if (p >= 100) return sorted[sorted.length - 1];
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  return a + (b - a) * (rank - lo);
}

export function phaseOf(op: Pick<Op, 'invokeMs'>, windows: readonly FaultWindow[]): PhaseName {
  if (windows.length === 0) return 'before';
  const first = Math.min(...windows.map((w) => w.startMs));
  if (op.invokeMs < first) return 'before';
  if (windows.some((w) => op.invokeMs >= w.startMs && (w.endMs === undefined || op.invokeMs < w.endMs))) return 'during';
  return 'after';
}

export function phaseStats(ops: readonly Op[]): PhaseStats {
  const lat = ops.map((o) => o.latencyMs).sort((a, b) => a - b);
  const count = ops.length;
  const fail = ops.filter((o) => o.outcome === 'fail').length;
  const unknown = ops.filter((o) => o.outcome === 'unknown').length;
  return {
    count,
    ok: count - fail - unknown,
    fail,
    unknown,
    degraded: ops.filter((o) => o.degraded).length,
    errorRate: count ? (fail + unknown) / count : 0,
    unknownRate: count ? unknown / count : 0,
    latency: {
      p50: round(percentile(lat, 50)),
      p90: round(percentile(lat, 90)),
      p95: round(percentile(lat, 95)),
      p99: round(percentile(lat, 99)),
      max: round(lat[lat.length - 1]),
      mean: count ? round(lat.reduce((a, b) => a + b, 0) / count) : undefined,
    },
  };
}

export function selectOps(history: readonly Op[], windows: readonly FaultWindow[], phase: PhaseFilter, kind: KindFilter): Op[] {
  return history.filter((o) => (kind === 'any' || o.kind === kind) && (phase === 'all' || phaseOf(o, windows) === phase));
}

export function phaseTable(history: readonly Op[], windows: readonly FaultWindow[]): PhaseTable {
  const phases: PhaseFilter[] = ['before', 'during', 'after', 'all'];
  const kinds: KindFilter[] = ['purchase', 'read', 'any'];
  return Object.fromEntries(
    phases.map((p) => [p, Object.fromEntries(kinds.map((k) => [k, phaseStats(selectOps(history, windows, p, k))]))]),
  ) as PhaseTable;
}

export function computeTimings(history: readonly Op[], windows: readonly FaultWindow[]): Timings {
  const byComplete = [...history].sort((a, b) => a.completeMs - b.completeMs);
  const perWindow = windows.map((w) => {
    const detect = byComplete.find((o) => o.invokeMs >= w.startMs && o.degraded && (w.endMs === undefined || o.invokeMs < w.endMs));
    const recover = w.endMs === undefined ? undefined : byComplete.find((o) => o.invokeMs >= w.endMs! && !o.degraded && o.outcome === 'ok');
    return {
      service: w.service,
      action: w.action,
      detectMs: detect ? round(detect.completeMs - w.startMs) : undefined,
      recoverMs: recover && w.endMs !== undefined ? round(recover.completeMs - w.endMs) : undefined,
    };
  });
  const detects = perWindow.map((w) => w.detectMs).filter((x): x is number => x !== undefined);
  const recovers = perWindow.map((w) => w.recoverMs).filter((x): x is number => x !== undefined);
  return {
    timeToDetectMs: detects.length ? Math.min(...detects) : undefined,
    timeToRecoverMs: recovers.length ? Math.max(...recovers) : undefined,
    perWindow,
  };
}

export function round(x: number | undefined, digits = 1): number | undefined {
  if (x === undefined || !Number.isFinite(x)) return undefined;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
