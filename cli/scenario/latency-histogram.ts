/**
 * Latency percentiles of a load step from an HDR histogram (hdr-histogram-js):
 * constant memory, 3 significant digits, recorded in microseconds.
 */
import * as hdr from 'hdr-histogram-js';
import type { LoadResult } from '../../reports/model.js';

export type LatencySummary = LoadResult['latency'];

export interface LatencyHistogram {
  record(ms: number): void;
  readonly count: number;
  summary(): LatencySummary;
}

export function createLatencyHistogram(): LatencyHistogram {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
  const ms = (us: number) => Math.round(us / 100) / 10;
  // Exact, not bucketed: a percentile (a bucket's upper bound) must never exceed it.
  let max = 0;
  return {
    record(latencyMs) {
      max = Math.max(max, latencyMs);
      h.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
    },
    get count() {
      return h.totalCount;
    },
    summary() {
      const at = (p: number) => Math.min(ms(h.getValueAtPercentile(p)), Math.round(max * 10) / 10);
      if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
      return {
        p50: at(50),
        p90: at(90),
        p99: at(99),
        p999: at(99.9),
        max: Math.round(max * 10) / 10,
        mean: ms(h.mean),
      };
    },
  };
}
