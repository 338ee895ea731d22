import { describe, expect, it } from 'vitest';
import { ScenarioSchema } from './format.js';
import { invariantChecks, thresholdChecks } from './verify.js';
import { purchase, read } from '../../test/scenario/synthetic.js';

const scenario = (thresholds: unknown[]) => ScenarioSchema.parse({ version: 1, name: 't', steps: [{ sleep: 0 }], verify: { thresholds } });
const window = [{ service: 'postgres', action: 'kill', startMs: 1_150, endMs: 1_450 }];

describe('thresholds (verify phase)', () => {
  const history = [read(0), purchase(1, { invokeMs: 1_200, latencyMs: 40 }), purchase(2, { invokeMs: 1_300, latencyMs: 90, outcome: 'unknown', httpStatus: 504 }), purchase(3, { invokeMs: 1_500, latencyMs: 10 })];

  it('rates are ratios over the phase and kind; a phase without requests holds vacuously', () => {
    const [during, before] = thresholdChecks(scenario([{ metric: 'error-rate', phase: 'during', kind: 'purchase', max: 0.4 }, { metric: 'unknown-rate', phase: 'before', kind: 'purchase', max: 0 }]), history, window, {});
    expect(during).toMatchObject({ id: 'threshold.1', name: 'error-rate (during, purchases) <= 0.4', passed: false, value: 0.5, limit: 0.4, message: '50.00 % (0 failed + 1 unknown of 2)' });
    expect(before).toMatchObject({ id: 'threshold.2', passed: true, message: 'no requests in this phase' });
    expect(before).not.toHaveProperty('value');
  });

  it('latency percentiles in ms; timings not measured fail', () => {
    const [lat, drain, ttd] = thresholdChecks(scenario([{ metric: 'latency', phase: 'during', percentile: 50, max: '60ms' }, { metric: 'drain-time', max: '1s' }, { metric: 'time-to-detect', max: 500 }]), history, window, { timeToDetectMs: 120 });
    expect(lat).toMatchObject({ name: 'p50 latency (during) <= 60 ms', value: 65, passed: false, message: '65 ms (2 requests)' });
    expect(drain).toMatchObject({ name: 'backlog drain time <= 1000 ms', passed: false, message: 'not measured (no backlog-drained wait completed)' });
    expect(ttd).toMatchObject({ name: 'time to detect <= 500 ms', passed: true, value: 120, message: '120 ms' });
  });
});

describe('invariant checks (verify phase)', () => {
  it('a keyless duplicate fails the duplicated check; extra orders from new-key retries are only reported', async () => {
    const { checkHistory } = await import('./checker.js');
    const { EVENTS, PREFIX } = await import('../../test/scenario/synthetic.js');
    const email = `scenario+${PREFIX}1@eventflow.test`;
    const op = purchase(1, { key: undefined, keyless: true, email });
    const row = (id: string, key: string) => ({ id, idempotencyKey: key, eventId: 1, quantity: 1, status: 'CONFIRMED', email });
    const s = ScenarioSchema.parse({ version: 1, name: 't', steps: [{ sleep: 0 }] });
    const dup = invariantChecks(s, checkHistory([op], { orders: [row(op.orderId!, 'gen-a'), row('other', 'gen-b')], events: EVENTS }, PREFIX));
    expect(dup.find((c) => c.id === 'invariant.duplicated')).toMatchObject({ passed: false, value: 1 });
    const timedOut = { ...op, outcome: 'unknown' as const, httpStatus: undefined, orderId: undefined };
    const retry = { ...op, id: 99, request: op.id, attempt: 2 };
    const asked = invariantChecks(s, checkHistory([timedOut, retry], { orders: [row('first', 'gen-a'), row(op.orderId!, 'gen-b')], events: EVENTS }, PREFIX));
    expect(asked.filter((c) => !c.passed)).toEqual([]);
    expect(asked.find((c) => c.id === 'invariant.unknown')!.message).toContain("1 extra order(s) the clients' own retries");
  });
});
