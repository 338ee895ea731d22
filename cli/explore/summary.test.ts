import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../reports/model.js';
import type { PlannedFault } from './fault-kinds.js';
import { faultsAsRun, invariantCounts } from './summary.js';

const t0 = 1_000_000;
const faults: PlannedFault[] = [
  { n: 1, kind: 'kill', target: 'postgres', atMs: 3_000, forMs: 4_000, params: { signal: 'SIGKILL' } },
  { n: 2, kind: 'disconnect', target: 'api', atMs: 5_000, forMs: 2_000, params: {} },
];
/** Only what the summary reads of a run's report. */
const report = {
  startMs: t0 - 500,
  steps: [
    { id: 'load', kind: 'load', startMs: t0 },
    { id: 'f1-kill-postgres', kind: 'fault', startMs: t0 + 3_100, services: ['postgres'] },
    { id: 'f2-disconnect-api', kind: 'fault', startMs: t0 + 5_200, services: ['api-1', 'api-2'] },
  ],
  faultWindows: [
    { service: 'postgres', action: 'kill', startMs: t0 + 3_400, endMs: t0 + 9_100 },
    { service: 'api-1', action: 'disconnect', startMs: t0 + 5_300, endMs: t0 + 7_600 },
    { service: 'api-2', action: 'disconnect', startMs: t0 + 5_300 },
    { service: 'redis', action: 'kill', startMs: t0 + 1_000, endMs: t0 + 2_000 },
  ],
  checks: [
    { id: 'invariant.lost', category: 'invariant', passed: false, value: 2 },
    { id: 'invariant.conservation', category: 'invariant', passed: true, value: 0 },
    { id: 'invariant.unknown', category: 'invariant', passed: true, value: 7 },
    { id: 'threshold.1', category: 'threshold', passed: true, value: 0.5 },
  ],
} as unknown as RunReport;

describe('explore summary rows', () => {
  it('pairs each planned fault with the windows its step measured, from the start of the load (a group: each member)', () => {
    const [kill, disconnect] = faultsAsRun(faults, report);
    expect(kill).toMatchObject({ label: 'kill postgres @3.0s for 4.0s', atMs: 3_000, forMs: 4_000, actual: [{ fromMs: 3_400, toMs: 9_100 }] });
    expect(disconnect!.actual).toEqual([{ fromMs: 5_300, toMs: 7_600 }, { fromMs: 5_300 }]);
  });

  it('counts findings per invariant from the checks, whatever invariants there are (unknown outcomes apart)', () => {
    expect(invariantCounts(report)).toEqual({ lost: 2, conservation: 0 });
  });
});
