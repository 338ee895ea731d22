/**
 * Latency percentiles of a load step from an HDR histogram (hdr-histogram-js):
 * constant memory, 3 significant digits, recorded in microseconds.
 *
 * The histogram class alone, not the package's index: that one also loads the
 * log reader/writer (an Intl.NumberFormat built at load), the WebAssembly build
 * (a base64 blob) and pako — ~25 ms of every scenario run's start-up, unused.
 * `new Int32Histogram(…)` + `autoResize` is what `hdr.build()` makes by default
 * (bitBucketSize 32, no WebAssembly).
 */
import { createRequire } from 'node:module';
import type { LoadResult } from '../../reports/model.js';

// required (CommonJS) rather than imported: Node and Vitest agree on what `require` returns
const { default: Int32Histogram } = createRequire(import.meta.url)('hdr-histogram-js/dist/Int32Histogram.js') as typeof import('hdr-histogram-js/dist/Int32Histogram.js');

export type LatencySummary = LoadResult['latency'];

export interface LatencyHistogram {
  record(ms: number): void;
  readonly count: number;
  summary(): LatencySummary;
}

export function createLatencyHistogram(): LatencyHistogram {
  const h = new Int32Histogram(1, 3_600_000_000, 3);
  h.autoResize = true;
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
