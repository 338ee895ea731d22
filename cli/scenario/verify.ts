/**
 * The verify phase: turns the checker's findings, the scenario's expectations
 * and its thresholds into checks (report.json `checks`, junit test cases).
 */
import type { Check, FaultWindow, Op, Timings } from '../../reports/model.js';
import { findingsOf, INVARIANT_RULES, type CheckerResult } from './checker.js';
import { INVARIANTS, parseDuration, type Invariant, type ScenarioFile } from './format.js';
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
    message: `${c.unknown.count} unknown: ${c.unknown.recovered} recovered (persisted), ${c.unknown.notRecovered} not persisted`,
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
    const got = new Map<string, number>();
    for (const o of bad) {
      const k = o.httpStatus ? `${o.httpStatus}${o.status ? ` ${o.status}` : ''}` : `${o.outcome}${o.error ? ` (${o.error.split(':')[0]})` : ''}`;
      got.set(k, (got.get(k) ?? 0) + 1);
    }
    return {
      id: `expect.${i + 1}.${e.step}`,
      name: `every request of step ${e.step}: ${want}`,
      category: 'expectation' as const,
      passed: ops.length > 0 && bad.length === 0,
      value: `${ops.length - bad.length}/${ops.length}`,
      message: ops.length === 0 ? 'no requests were made by this step' : bad.length ? `${bad.length} of ${ops.length} did not: ${[...got].map(([k, n]) => `${n}× ${k}`).join(', ')}` : `all ${ops.length} did`,
    };
  });
}

export function thresholdChecks(s: ScenarioFile, history: readonly Op[], windows: readonly FaultWindow[], timings: Pick<Timings, 'timeToDetectMs' | 'timeToRecoverMs' | 'drainMs'>): Check[] {
  return (s.verify?.thresholds ?? []).map((t, i) => {
    const phase = t.phase ?? 'all';
    const kind = t.kind ?? 'any';
    const isRate = t.metric === 'error-rate' || t.metric === 'unknown-rate';
    const max = isRate ? Number(t.max) : parseDuration(t.max as number | string, 0);
    const scope = `${phase}${kind !== 'any' ? `, ${kind}s` : ''}`;
    let value: number | undefined;
    let name: string;
    let note = '';
    switch (t.metric) {
      case 'error-rate':
      case 'unknown-rate': {
        const st = phaseStats(selectOps(history, windows, phase, kind));
        value = st.count ? (t.metric === 'error-rate' ? st.errorRate : st.unknownRate) : undefined;
        name = `${t.metric} (${scope}) <= ${max}`;
        note = st.count ? `${st.fail} failed + ${st.unknown} unknown of ${st.count}` : 'no requests in this phase';
        if (!st.count) return { id: `threshold.${i + 1}`, name, category: 'threshold' as const, passed: true, limit: max, message: note };
        break;
      }
      case 'latency': {
        const lat = selectOps(history, windows, phase, kind).map((o) => o.latencyMs).sort((a, b) => a - b);
        value = round(percentile(lat, t.percentile as number));
        name = `p${t.percentile} latency (${scope}) <= ${max} ms`;
        note = lat.length ? `${lat.length} requests` : 'no requests in this phase';
        if (!lat.length) return { id: `threshold.${i + 1}`, name, category: 'threshold' as const, passed: true, limit: max, message: note };
        break;
      }
      case 'time-to-detect':
        value = timings.timeToDetectMs;
        name = `time to detect <= ${max} ms`;
        note = value === undefined ? 'no degraded answer after a fault' : '';
        break;
      case 'time-to-recover':
        value = timings.timeToRecoverMs;
        name = `time to recover <= ${max} ms`;
        note = value === undefined ? 'no normal answer after a heal' : '';
        break;
      case 'drain-time':
        value = timings.drainMs;
        name = `backlog drain time <= ${max} ms`;
        note = value === undefined ? 'no backlog-drained wait completed' : '';
        break;
    }
    const passed = value !== undefined && value <= max;
    return {
      id: `threshold.${i + 1}`,
      name,
      category: 'threshold' as const,
      passed,
      value,
      limit: max,
      message: `${value === undefined ? 'not measured' : isRate ? `${(value * 100).toFixed(2)} %` : `${value} ms`}${note ? ` (${note})` : ''}`,
    };
  });
}

/** Every check the verify phase makes, in report order: invariants (when the checker ran), expectations, thresholds. */
export function verifyRun(s: ScenarioFile, history: readonly Op[], windows: readonly FaultWindow[], timings: Timings, checker: CheckerResult | undefined): Check[] {
  return [...(checker ? invariantChecks(s, checker) : []), ...expectationChecks(s, history), ...thresholdChecks(s, history, windows, timings)];
}
