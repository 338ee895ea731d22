import { describe, expect, it } from 'vitest';
import { computeTimings, percentile, phaseOf, phaseStats, type FaultWindow } from './stats.js';
import { purchase } from '../../test/scenario/synthetic.js';

describe('percentile', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  it('interpolates between closest ranks', () => {
    expect(percentile(hundred, 50)).toBeCloseTo(50.5);
    expect(percentile(hundred, 99)).toBeCloseTo(99.01);
    expect(percentile(hundred, 0)).toBe(1);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
  });
  it('handles tiny inputs', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('phases and timings', () => {
  const windows: FaultWindow[] = [{ service: 'postgres', action: 'kill', startMs: 1_000, endMs: 2_000 }];
  it('puts requests before, during and after the fault window by invoke time', () => {
    expect(phaseOf({ invokeMs: 999 }, windows)).toBe('before');
    expect(phaseOf({ invokeMs: 1_000 }, windows)).toBe('during');
    expect(phaseOf({ invokeMs: 1_999 }, windows)).toBe('during');
    expect(phaseOf({ invokeMs: 2_000 }, windows)).toBe('after');
    expect(phaseOf({ invokeMs: 5_000 }, [{ service: 'api-1', action: 'kill', startMs: 1_000 }])).toBe('during');
  });
  it('computes detect (first degraded answer after the fault) and recover (first normal answer after the heal)', () => {
    const h = [
      purchase(1, { invokeMs: 900, completeMs: 920, degraded: false, httpStatus: 201 }),
      purchase(2, { invokeMs: 1_100, completeMs: 1_250, degraded: true }),
      purchase(3, { invokeMs: 1_050, completeMs: 1_400, degraded: true }),
      purchase(4, { invokeMs: 2_100, completeMs: 2_150, degraded: true }),
      purchase(5, { invokeMs: 2_200, completeMs: 2_300, degraded: false, httpStatus: 201 }),
    ];
    const t = computeTimings(h, windows);
    expect(t.timeToDetectMs).toBe(250);
    expect(t.timeToRecoverMs).toBe(300);
  });
  it('error rate counts failures and unknowns; 202 is degraded but not an error', () => {
    const s = phaseStats([purchase(1), purchase(2, { outcome: 'fail', httpStatus: 503 }), purchase(3, { outcome: 'unknown', httpStatus: undefined }), purchase(4)]);
    expect(s).toMatchObject({ count: 4, ok: 2, fail: 1, unknown: 1, errorRate: 0.5, unknownRate: 0.25 });
  });
});
