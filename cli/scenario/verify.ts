/**
 * The verify phase: turns the checker's findings, the scenario's expectations
 * and its thresholds into checks (report.json `checks`, junit test cases).
 */
import type { Check, FaultWindow, Op, Timings } from '../../reports/model.js';
import { findingsOf, INVARIANT_RULES, type CheckerResult } from './checker.js';
import { INVARIANTS, parseDuration, type Invariant, type ScenarioFile, type ThresholdDef } from './format.js';
import { percentile, phaseStats, round, selectOps } from './stats.js';

/** At most this many keys/events are named in a check's message. */
const EVIDENCE_SHOWN = 10;

export function invariantChecks(s: ScenarioFile, c: CheckerResult): Check[] {
  const wanted: readonly Invariant[] = s.verify?.invariants ?? INVARIANTS;
  const checks: Check[] = wanted.map(<I extends Invariant>(inv: I) => {
    const rule = INVARIANT_RULES[inv];
    const found = findingsOf(c, inv);
    const evidence = rule.evidence(found);
    const detail = evidence.length ? `: ${evidence.slice(0, EVIDENCE_SHOWN).join(', ')}${evidence.length > EVIDENCE_SHOWN ? ` … (+${evidence.length - EVIDENCE_SHOWN})` : ''}` : '';
    return {
      id: `invariant.${inv}`,
      name: `${inv} = 0 (${rule.text})`,
      category: 'invariant',
      passed: found.count === 0,
      value: found.count,
      limit: 0,
      message: `${inv}=${found.count} of ${c.acknowledged} acknowledged / ${c.persisted} persisted${detail}`,
    };
  });
  checks.push({
    id: 'invariant.unknown',
    name: 'unknown outcomes (reported, never counted as lost)',
    category: 'invariant',
    passed: true,
    value: c.unknown.count,
    message: `${c.unknown.count} unknown: ${c.unknown.recovered} recovered (persisted), ${c.unknown.notRecovered} not persisted${
      c.retryOrders?.count ? `; ${c.retryOrders.count} extra order(s) the clients' own retries with a new key or none asked for` : ''
    }`,
  });
  return checks;
}

export function expectationChecks(s: ScenarioFile, history: readonly Op[]): Check[] {
  return (s.verify?.expect ?? []).map((e, i) => {
    const ops = history.filter((o) => o.step === e.step);
    const bad = ops.filter((o) => {
      if (e.status && o.kind === 'purchase' && !e.status.includes((o.status ?? '') as never)) return true;
      if (e.http && !e.http.includes(o.httpStatus ?? -1)) return true;
      if (e.outcome && !e.outcome.includes(o.outcome)) return true;
      return false;
    });
    const want = [e.status && `status ∈ {${e.status.join(', ')}}`, e.http && `HTTP ∈ {${e.http.join(', ')}}`, e.outcome && `outcome ∈ {${e.outcome.join(', ')}}`].filter(Boolean).join(', ');
    const got = new Map<string, { n: number; example?: string }>();
    for (const o of bad) {
      const k = o.httpStatus ? `${o.httpStatus}${o.status ? ` ${o.status}` : ''}` : `${o.outcome}${o.error ? ` (${o.error.split(':')[0]})` : ''}`;
      const g = got.get(k) ?? { n: 0, example: o.message };
      g.n++;
      got.set(k, g);
    }
    return {
      id: `expect.${i + 1}.${e.step}`,
      name: `every request of step ${e.step}: ${want}`,
      category: 'expectation' as const,
      passed: ops.length > 0 && bad.length === 0,
      value: `${ops.length - bad.length}/${ops.length}`,
      message: ops.length === 0 ? 'no requests were made by this step' : bad.length ? `${bad.length} of ${ops.length} did not: ${[...got].map(([k, g]) => `${g.n}× ${k}${g.example ? ` (e.g. "${g.example}")` : ''}`).join(', ')}` : `all ${ops.length} did`,
    };
  });
}

type ThresholdMetric = ThresholdDef['metric'];
type RunTimings = Pick<Timings, 'timeToDetectMs' | 'timeToRecoverMs' | 'drainMs'>;
interface Measurement {
  name: string;
  value?: number;
  note: string;
  /** Nothing to measure in this phase: the threshold holds vacuously. */
  vacuous?: boolean;
}
interface ThresholdInput {
  t: ThresholdDef;
  max: number;
  /** "during, purchases" */
  scope: string;
  select(): Op[];
  timings: RunTimings;
}

const rate = (metric: 'error-rate' | 'unknown-rate') => ({
  ratio: true,
  measure({ max, scope, select }: ThresholdInput): Measurement {
    const st = phaseStats(select());
    const name = `${metric} (${scope}) <= ${max}`;
    if (!st.count) return { name, note: 'no requests in this phase', vacuous: true };
    return { name, value: metric === 'error-rate' ? st.errorRate : st.unknownRate, note: `${st.fail} failed + ${st.unknown} unknown of ${st.count}` };
  },
});
const timing = (label: string, pick: (t: RunTimings) => number | undefined, missing: string) => ({
  ratio: false,
  measure({ max, timings }: ThresholdInput): Measurement {
    const value = pick(timings);
    return { name: `${label} <= ${max} ms`, value, note: value === undefined ? missing : '' };
  },
});

/** A threshold metric is an entry: how to measure it, and whether it is a ratio (0..1) or milliseconds. */
const METRICS: Record<ThresholdMetric, { ratio: boolean; measure(input: ThresholdInput): Measurement }> = {
  'error-rate': rate('error-rate'),
  'unknown-rate': rate('unknown-rate'),
  latency: {
    ratio: false,
    measure({ t, max, scope, select }) {
      const lat = select().map((o) => o.latencyMs).sort((a, b) => a - b);
      const name = `p${t.percentile} latency (${scope}) <= ${max} ms`;
      if (!lat.length) return { name, note: 'no requests in this phase', vacuous: true };
      return { name, value: round(percentile(lat, t.percentile as number)), note: `${lat.length} requests` };
    },
  },
  'time-to-detect': timing('time to detect', (t) => t.timeToDetectMs, 'no degraded answer after a fault'),
  'time-to-recover': timing('time to recover', (t) => t.timeToRecoverMs, 'no normal answer after a heal'),
  'drain-time': timing('backlog drain time', (t) => t.drainMs, 'no backlog-drained wait completed'),
};

export function thresholdChecks(s: ScenarioFile, history: readonly Op[], windows: readonly FaultWindow[], timings: RunTimings): Check[] {
  return (s.verify?.thresholds ?? []).map((t, i) => {
    const phase = t.phase ?? 'all';
    const kind = t.kind ?? 'any';
    const metric = METRICS[t.metric];
    const max = metric.ratio ? Number(t.max) : parseDuration(t.max as number | string, 0);
    const scope = `${phase}${kind !== 'any' ? `, ${kind}s` : ''}`;
    const m = metric.measure({ t, max, scope, select: () => selectOps(history, windows, phase, kind), timings });
    const id = `threshold.${i + 1}`;
    if (m.vacuous) return { id, name: m.name, category: 'threshold' as const, passed: true, limit: max, message: m.note };
    const shown = m.value === undefined ? 'not measured' : metric.ratio ? `${(m.value * 100).toFixed(2)} %` : `${m.value} ms`;
    return {
      id,
      name: m.name,
      category: 'threshold' as const,
      passed: m.value !== undefined && m.value <= max,
      value: m.value,
      limit: max,
      message: `${shown}${m.note ? ` (${m.note})` : ''}`,
    };
  });
}

/** Every check the verify phase makes, in report order: invariants (when the checker ran), expectations, thresholds. */
export function verifyRun(s: ScenarioFile, history: readonly Op[], windows: readonly FaultWindow[], timings: Timings, checker: CheckerResult | undefined): Check[] {
  return [...(checker ? invariantChecks(s, checker) : []), ...expectationChecks(s, history), ...thresholdChecks(s, history, windows, timings)];
}
