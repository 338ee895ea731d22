/**
 * The scenario engine: steady state → steps (faults, load, waits) → rollback
 * (always) → steady state again → drain → checker and verifications → report.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import type { ServiceGroup, StackEndpoints, StackHandle } from '../stack/types.js';
import { checkHistory, type CheckerResult } from './checker.js';
import { BREAKING, parseDuration, type FaultAction, type FaultStepDef, type ProbeDef, type ScenarioFile, type StepDef, type TargetDef } from './format.js';
import { isAcknowledged, summarize, type Op } from './history.js';
import { createAgent, nowMs, runLoad, sleep, type LoadPlan } from './load.js';
import {
  REPORT_SCHEMA_VERSION,
  type Check,
  type MetricsSeries,
  type ProbeResult,
  type RunReport,
  type StepRecord,
  type Verdict,
  type WallPhases,
} from './report-model.js';
import { createSystemState, type SystemState } from './state.js';
import { computeTimings, phaseStats, phaseTable, selectOps, percentile, round, type FaultWindow } from './stats.js';
import { isGroup } from './topology-names.js';
import type { ParamValue } from './validate.js';

export type CaptureSeries = (prometheusUrl: string, startMs: number, endMs: number) => Promise<MetricsSeries>;

export interface EngineHooks {
  /** Runs after the backlog drained and before the checker reads the database (tests use it to sabotage). */
  beforeCheck?: (ctx: { state: SystemState; prefix: string; history: readonly Op[]; log: (line: string) => void }) => Promise<void>;
}

export interface RunOptions {
  scenario: ScenarioFile;
  params: Record<string, ParamValue>;
  file: string;
  source: string;
  stack: StackHandle;
  ephemeral?: boolean;
  runId?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Defaults to PostgreSQL + RabbitMQ of the stack. */
  state?: SystemState;
  hooks?: EngineHooks;
  /** Prometheus series capture; undefined = use cli/scenario/metrics-capture.js when present; false = off. */
  captureMetrics?: CaptureSeries | false;
  /** Poll interval of waits (ms). */
  pollMs?: number;
}

class StepFailure extends Error {
  constructor(message: string, readonly infra: boolean) {
    super(message);
  }
}

type Bucket = 'faultMs' | 'purchasesMs' | 'recoveryMs' | 'drainMs' | 'other';
type FaultState = 'down' | 'paused' | 'disconnected';

export function newRunId(name: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, '').replace('T', '-');
  return `${stamp}-${name.slice(0, 40)}-${randomBytes(2).toString('hex')}`;
}

export async function runScenario(opts: RunOptions): Promise<RunReport> {
  const log = opts.log ?? (() => undefined);
  const runId = opts.runId ?? newRunId(opts.scenario.name);
  const prefix = `${runId}-`;
  const pollMs = opts.pollMs ?? 200;
  const t0 = nowMs();
  const startedAt = new Date().toISOString();
  const rel = (t: number) => `+${((t - t0) / 1000).toFixed(2)}s`;
  const print = (line: string) => log(`${rel(nowMs()).padStart(8)}  ${line}`);

  const history: Op[] = [];
  const steps: StepRecord[] = [];
  const windows: FaultWindow[] = [];
  const checks: Check[] = [];
  const warnings: string[] = [];
  const probes: { before: ProbeResult[]; after: ProbeResult[] } = { before: [], after: [] };
  const wall: WallPhases = { setupMs: 0, faultMs: 0, purchasesMs: 0, recoveryMs: 0, drainMs: 0, checksMs: 0, rollbackMs: 0, totalMs: 0 };
  const faulted = new Map<string, Set<FaultState>>();
  const touched = new Set<string>();
  const background = new Map<string, Promise<void>>();
  let opSeq = 0;
  let keySeq = 0;
  let drainMs: number | undefined;
  let verdictOverride: Verdict | undefined;
  let error: string | undefined;
  let checker: CheckerResult | undefined;
  let endpoints: StackEndpoints | undefined;
  const agent = createAgent(64);
  const loadAbort = new AbortController();
  const onAbort = () => loadAbort.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const aborted = () => opts.signal?.aborted === true;

  const resolveTargets = (target: TargetDef): string[] => {
    const members = (g: string) => opts.stack.servicesInGroup(g as ServiceGroup);
    if (Array.isArray(target)) return [...new Set(target.flatMap((t) => resolveTargets(t)))];
    if (typeof target === 'string') return isGroup(target) ? members(target) : [target];
    if ('random' in target) {
      const list = members(target.random);
      if (list.length === 0) throw new StepFailure(`group "${target.random}" has no services`, false);
      return [list[Math.floor(Math.random() * list.length)]!];
    }
    if ('service' in target) return [target.service];
    return members(target.group);
  };
  const targetLabel = (t: TargetDef): string => (Array.isArray(t) ? t.join(', ') : typeof t === 'string' ? t : 'random' in t ? `random ${t.random}` : 'service' in t ? t.service : `group ${t.group}`);

  // ------------------------------------------------------------ faults
  const applyFault = async (action: FaultAction, service: string, signal?: string) => {
    const start = nowMs();
    touched.add(service);
    const f = opts.stack.faults;
    const state = faulted.get(service) ?? new Set<FaultState>();
    faulted.set(service, state);
    if (BREAKING.has(action)) windows.push({ service, action, startMs: start });
    try {
      switch (action) {
        case 'kill': await f.kill(service, signal); break;
        case 'stop': await f.stop(service); break;
        case 'start': await f.start(service); break;
        case 'restart': await f.restart(service); break;
        case 'pause': await f.pause(service); break;
        case 'unpause': await f.unpause(service); break;
        case 'disconnect': await f.disconnect(service); break;
        case 'reconnect': await f.reconnect(service); break;
      }
    } catch (e) {
      throw new StepFailure(`${action} ${service}: ${(e as Error).message}`, true);
    }
    const end = nowMs();
    const close = (from: FaultState, actions: string[], by: string) => {
      state.delete(from);
      for (const w of windows) if (w.service === service && w.endMs === undefined && actions.includes(w.action)) Object.assign(w, { endMs: end, healedBy: by });
    };
    if (action === 'kill' || action === 'stop') state.add('down');
    if (action === 'pause') state.add('paused');
    if (action === 'disconnect') state.add('disconnected');
    if (action === 'start') close('down', ['kill', 'stop'], 'start');
    if (action === 'restart') {
      close('down', ['kill', 'stop'], 'restart');
      windows.push({ service, action, startMs: start, endMs: end, healedBy: 'restart' });
    }
    if (action === 'unpause') close('paused', ['pause'], 'unpause');
    if (action === 'reconnect') close('disconnected', ['disconnect'], 'reconnect');
  };

  const isHealthy = async (service: string) => {
    try {
      return await opts.stack.faults.isHealthy(service);
    } catch {
      return false;
    }
  };
  const waitUntil = async (cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
    const deadline = nowMs() + timeoutMs;
    for (;;) {
      if (await cond()) return true;
      if (nowMs() >= deadline || aborted()) return false;
      await sleep(pollMs, opts.signal);
    }
  };

  // ------------------------------------------------------------ probes
  const runProbe = async (probe: ProbeDef, when: 'before' | 'after'): Promise<ProbeResult> => {
    const at = nowMs();
    const name = probe.name ?? (probe.probe === 'http' ? `GET ${probe.path}` : `healthy: ${probe.targets.map(targetLabel).join(', ')}`);
    let ok = false;
    let detail = '';
    if (probe.probe === 'http') {
      const expected = probe.status ?? 200;
      const timeout = parseDuration(probe.timeout, when === 'after' ? 15_000 : 5_000);
      ok = await waitUntil(async () => {
        try {
          const res = await request(new URL(probe.path, endpoints!.gateway), { dispatcher: agent, headersTimeout: 3_000, bodyTimeout: 3_000, signal: AbortSignal.timeout(3_000) });
          const text = await res.body.text();
          detail = `HTTP ${res.statusCode}`;
          if (res.statusCode !== expected) return false;
          if (probe.json) {
            const body = JSON.parse(text) as Record<string, unknown>;
            for (const [k, v] of Object.entries(probe.json)) {
              if (body[k] !== v) {
                detail = `HTTP ${res.statusCode}, ${k}=${JSON.stringify(body[k])} (expected ${JSON.stringify(v)})`;
                return false;
              }
            }
          }
          return true;
        } catch (e) {
          detail = (e as Error).message;
          return false;
        }
      }, timeout);
      if (ok) detail = `HTTP ${expected}`;
    } else {
      const services = probe.targets.flatMap(resolveTargets);
      const timeout = parseDuration(probe.timeout, 60_000);
      let unhealthy: string[] = [];
      ok = await waitUntil(async () => {
        const states = await Promise.all(services.map(isHealthy));
        unhealthy = services.filter((_, i) => !states[i]);
        return unhealthy.length === 0;
      }, timeout);
      detail = ok ? `${services.join(', ')} healthy` : `not healthy: ${unhealthy.join(', ')}`;
    }
    const result = { name, kind: probe.probe, ok, detail, atMs: at, durationMs: round(nowMs() - at)! };
    print(`${ok ? '✔' : '✘'} steady state (${when}): ${name} — ${detail}`);
    return result;
  };

  // ------------------------------------------------------------ steps
  /** Host ports may change when a container starts again: re-read them after every fault. */
  const refreshEndpoints = async () => {
    stateImpl?.invalidate?.();
    try {
      endpoints = await opts.stack.endpoints();
    } catch (e) {
      warnings.push(`could not re-read the stack's endpoints: ${(e as Error).message}`);
    }
  };
  const persistedCount = async () => (await state().persistedKeys(prefix)).size;
  let stateImpl: SystemState | undefined = opts.state;
  const state = () => (stateImpl ??= createSystemState(() => opts.stack.endpoints(), opts.stack.credentials));

  const drained = async (timeoutMs: number): Promise<{ ok: boolean; detail: string }> => {
    let last = '';
    let quietSince: number | undefined;
    let lastPersisted = -1;
    const ok = await waitUntil(async () => {
      try {
        const q = await state().queueDepths();
        const depth = Object.values(q.depths).reduce((a, b) => a + b, 0);
        const keys = await state().persistedKeys(prefix);
        const acked = history.filter(isAcknowledged);
        const missing = acked.filter((o) => !keys.has(o.key!)).length;
        last = `queues ${Object.entries(q.depths).map(([k, v]) => `${k}=${v}`).join(' ')} (${q.source}), ${acked.length - missing}/${acked.length} acknowledged persisted`;
        if (depth !== 0) {
          quietSince = undefined;
          return false;
        }
        if (missing === 0) return true;
        // Queues empty but acknowledged orders missing: wait until nothing moves for 3 s (then the checker judges).
        if (keys.size !== lastPersisted) {
          lastPersisted = keys.size;
          quietSince = nowMs();
        }
        if (quietSince !== undefined && nowMs() - quietSince >= 3_000) {
          last += ' — queues empty and quiet for 3 s';
          return true;
        }
        return false;
      } catch (e) {
        last = `not readable yet: ${(e as Error).message}`;
        return false;
      }
    }, timeoutMs);
    return { ok, detail: last };
  };

  const loadPlan = (id: string, l: Extract<StepDef, { load: unknown }>['load']): LoadPlan => ({
    stepId: id,
    purchases: l.purchases ?? 0,
    reads: l.reads ?? 0,
    rate: l.rate,
    durationMs: l.duration === undefined ? undefined : parseDuration(l.duration, 0),
    concurrency: l.concurrency ?? 4,
    eventId: l.eventId ?? 1,
    quantity: l.quantity ?? 1,
    readPath: l.path ?? '/events',
    timeoutMs: parseDuration(l.timeout, 5_000),
    email: l.email ?? 'scenario@eventflow.test',
  });
  const startLoad = (plan: LoadPlan) =>
    runLoad(plan, {
      gateway: endpoints!.gateway,
      agent,
      nextOpId: () => ++opSeq,
      nextKey: () => `${prefix}${++keySeq}`,
      record: (op) => history.push(op),
      signal: loadAbort.signal,
      now: nowMs,
    });
  const loadSummary = (stepId: string) => {
    const ops = history.filter((o) => o.step === stepId);
    const by = new Map<string, number>();
    for (const o of ops) {
      const k = o.httpStatus ? `${o.httpStatus}${o.status ? ` ${o.status}` : ''}` : o.outcome;
      by.set(k, (by.get(k) ?? 0) + 1);
    }
    const p99 = percentile(ops.map((o) => o.latencyMs).sort((a, b) => a - b), 99);
    return `${ops.length} requests: ${[...by].map(([k, n]) => `${n}× ${k}`).join(', ')}${p99 !== undefined ? `; p99 ${Math.round(p99)} ms` : ''}`;
  };

  const runStep = async (def: StepDef, index: number, section: 'steps' | 'rollback'): Promise<void> => {
    const id = def.id ?? `${section === 'rollback' ? 'rollback' : 'step'}-${index + 1}`;
    const rec: StepRecord = { index, id, kind: 'sleep', label: '', section, startMs: nowMs(), status: 'running' };
    steps.push(rec);
    let bucket: Bucket = 'other';
    try {
      if ('fault' in def) {
        rec.kind = section === 'rollback' ? 'rollback' : 'fault';
        const services = resolveTargets(def.target);
        rec.services = services;
        rec.label = `${def.fault} ${targetLabel(def.target)}${(services.length > 1 && !Array.isArray(def.target)) || (typeof def.target === 'object' && !Array.isArray(def.target)) ? ` → ${services.join(', ')}` : ''}`;
        bucket = BREAKING.has(def.fault) ? 'faultMs' : 'recoveryMs';
        print(`▶ ${id}: ${rec.label}`);
        if (section === 'rollback') {
          const needed = services.filter((s) => needsHeal(def.fault, faulted.get(s)));
          if (needed.length === 0) {
            rec.status = 'skipped';
            rec.detail = 'nothing to undo';
            return;
          }
          await Promise.all(needed.map((s) => applyFault(def.fault, s, def.signal)));
        } else {
          await Promise.all(services.map((s) => applyFault(def.fault, s, def.signal)));
        }
        await refreshEndpoints();
      } else if ('load' in def) {
        rec.kind = 'load';
        const plan = loadPlan(id, def.load);
        const parts = [plan.purchases ? `${plan.purchases} purchase${plan.purchases > 1 ? 's' : ''}` : '', plan.reads ? `${plan.reads} read${plan.reads > 1 ? 's' : ''}` : ''].filter(Boolean).join(' + ');
        rec.label = `${plan.rate ? `${plan.rate}/s for ${plan.durationMs} ms (${parts || 'purchases'} mix)` : parts}, concurrency ${plan.concurrency}${def.load.background ? ', background' : ''}`;
        bucket = 'purchasesMs';
        print(`▶ ${id}: ${rec.label}`);
        if (def.load.background) {
          const p = startLoad(plan).then(() => {
            rec.endMs = nowMs();
            rec.durationMs = round(rec.endMs - rec.startMs);
            rec.detail = loadSummary(id);
          });
          background.set(id, p);
          rec.status = 'ok';
          rec.detail = 'started in the background';
          return;
        }
        await startLoad(plan);
        rec.detail = loadSummary(id);
      } else if ('wait' in def) {
        rec.kind = 'wait';
        const w = def.wait;
        const timeout = parseDuration(w.timeout, 30_000);
        rec.label = `until ${w.until}${w.target ? ` ${targetLabel(w.target)}` : ''}${w.count !== undefined ? ` ${w.count}` : ''} (timeout ${timeout / 1000}s)`;
        print(`▶ ${id}: wait ${rec.label}`);
        let ok = false;
        if (w.until === 'service-healthy') {
          bucket = 'recoveryMs';
          const services = resolveTargets(w.target!);
          ok = await waitUntil(async () => (await Promise.all(services.map(isHealthy))).every(Boolean), timeout);
          rec.detail = ok ? `${services.join(', ')} healthy` : `still unhealthy after ${timeout / 1000}s`;
        } else if (w.until === 'gateway-healthy') {
          bucket = 'recoveryMs';
          ok = await waitUntil(async () => {
            try {
              const res = await request(new URL('/health', endpoints!.gateway), { dispatcher: agent, headersTimeout: 2_000, bodyTimeout: 2_000 });
              await res.body.dump();
              return res.statusCode === 200;
            } catch {
              return false;
            }
          }, timeout);
          rec.detail = ok ? 'gateway /health 200' : 'gateway not healthy';
        } else if (w.until === 'backlog-drained') {
          bucket = 'drainMs';
          const r = await drained(timeout);
          ok = r.ok;
          rec.detail = r.detail;
          if (ok) {
            const heals = windows.map((x) => x.endMs).filter((x): x is number => x !== undefined);
            const from = heals.length ? Math.max(...heals) : rec.startMs;
            drainMs = round(nowMs() - from);
          }
        } else {
          bucket = 'drainMs';
          const want = w.count ?? history.filter(isAcknowledged).length;
          let have = 0;
          ok = await waitUntil(async () => {
            try {
              have = await persistedCount();
            } catch {
              return false;
            }
            return have >= want;
          }, timeout);
          rec.detail = `${have}/${want} orders of this run persisted`;
        }
        if (!ok && !aborted()) {
          checks.push({ id: `step.${id}`, name: `wait ${rec.label}`, category: 'step', passed: false, message: `timed out: ${rec.detail}` });
          throw new StepFailure(`wait ${w.until} timed out after ${timeout / 1000}s: ${rec.detail}`, false);
        }
      } else if ('await-load' in def) {
        rec.kind = 'await-load';
        rec.label = `await load ${def['await-load']}`;
        bucket = 'purchasesMs';
        print(`▶ ${id}: ${rec.label}`);
        await background.get(def['await-load']);
        background.delete(def['await-load']);
        rec.detail = loadSummary(def['await-load']);
      } else {
        rec.kind = 'sleep';
        const ms = parseDuration(def.sleep, 0);
        rec.label = `sleep ${ms} ms`;
        print(`▶ ${id}: ${rec.label}`);
        await sleep(ms, opts.signal);
      }
      rec.status = 'ok';
    } catch (e) {
      rec.status = 'failed';
      rec.error = (e as Error).message;
      throw e instanceof StepFailure ? e : new StepFailure((e as Error).message, true);
    } finally {
      if (rec.status !== 'running' && rec.endMs === undefined && !(rec.kind === 'load' && background.has(id))) {
        rec.endMs = nowMs();
        rec.durationMs = round(rec.endMs - rec.startMs);
        if (bucket !== 'other') wall[bucket] += rec.endMs - rec.startMs;
        if (rec.status !== 'skipped' || rec.detail) {
          const mark = rec.status === 'ok' ? '✔' : rec.status === 'skipped' ? '·' : '✘';
          print(`${mark} ${id} (${((rec.endMs - rec.startMs) / 1000).toFixed(2)}s)${rec.detail ? ` — ${rec.detail}` : ''}${rec.error && rec.error !== rec.detail ? ` — ${rec.error}` : ''}`);
        }
      }
    }
  };

  // ------------------------------------------------------------ the run
  let infraFailure = false;
  try {
    const tSetup = nowMs();
    try {
      endpoints = await opts.stack.endpoints();
    } catch (e) {
      throw new StepFailure(`cannot read the stack's endpoints: ${(e as Error).message}`, true);
    }
    print(`run ${runId} — scenario ${opts.scenario.name} on stack ${opts.stack.id} (${endpoints.gateway})`);
    for (const probe of opts.scenario['steady-state'] ?? []) {
      const r = await runProbe(probe, 'before');
      probes.before.push(r);
      checks.push({ id: `steady-state.before.${probes.before.length}`, name: `steady state before: ${r.name}`, category: 'steady-state', passed: r.ok, message: r.detail });
    }
    wall.setupMs = nowMs() - tSetup;
    if (probes.before.some((p) => !p.ok)) {
      throw new StepFailure('the stack is not in its steady state before the experiment; nothing was injected', true);
    }
    const all = opts.scenario.steps;
    for (let i = 0; i < all.length; i++) {
      if (aborted()) break;
      await runStep(all[i]!, i, 'steps');
    }
    for (const [id, p] of background) {
      print(`… waiting for background load ${id}`);
      await p;
    }
    background.clear();
  } catch (e) {
    const sf = e instanceof StepFailure ? e : new StepFailure((e as Error).message, true);
    infraFailure = sf.infra;
    error = sf.message;
    print(`✘ ${sf.message}`);
  }

  // ------------------------------------------------------------ rollback (always)
  const tRollback = nowMs();
  loadAbort.abort();
  await Promise.allSettled(background.values());
  try {
    if (endpoints) {
      for (const [i, def] of (opts.scenario.rollback ?? []).entries()) {
        try {
          await runStep(def, i, 'rollback');
        } catch (e) {
          warnings.push(`rollback step ${i + 1}: ${(e as Error).message}`);
        }
      }
      // Heal whatever is still broken, whatever the file said.
      const heals: [FaultAction, string][] = [];
      for (const [service, st] of faulted) {
        if (st.has('disconnected')) heals.push(['reconnect', service]);
        if (st.has('paused')) heals.push(['unpause', service]);
        if (st.has('down')) heals.push(['start', service]);
      }
      if (heals.length) {
        const rec: StepRecord = { index: steps.length, id: 'auto-heal', kind: 'heal', label: heals.map(([a, s]) => `${a} ${s}`).join(', '), section: 'rollback', startMs: nowMs(), status: 'running', services: heals.map(([, s]) => s) };
        steps.push(rec);
        print(`▶ auto-heal: ${rec.label}`);
        for (const [a, s] of heals) {
          try {
            await applyFault(a, s);
          } catch (e) {
            warnings.push(`auto-heal ${a} ${s}: ${(e as Error).message}`);
          }
        }
        rec.endMs = nowMs();
        rec.durationMs = round(rec.endMs - rec.startMs);
        rec.status = 'ok';
      }
      if (touched.size) await refreshEndpoints();
      if (touched.size) {
        const list = [...touched];
        const ok = await waitUntil(async () => (await Promise.all(list.map(isHealthy))).every(Boolean), 90_000);
        if (!ok) {
          const bad = [];
          for (const s of list) if (!(await isHealthy(s))) bad.push(s);
          warnings.push(`after rollback, not healthy: ${bad.join(', ')}`);
          infraFailure = true;
          error ??= `rollback could not make the stack healthy (${bad.join(', ')})`;
        } else print(`✔ rollback: ${list.join(', ')} healthy`);
      }
    }
  } finally {
    for (const w of windows) if (w.endMs === undefined) Object.assign(w, { endMs: nowMs(), healedBy: 'rollback' });
    wall.rollbackMs = nowMs() - tRollback;
  }

  // ------------------------------------------------------------ after: steady state, drain, checker
  const tChecks = nowMs();
  if (endpoints && !aborted() && !(infraFailure && !probes.before.length && !steps.length)) {
    if (probes.before.every((p) => p.ok)) {
      for (const probe of opts.scenario['steady-state'] ?? []) {
        const r = await runProbe(probe, 'after');
        probes.after.push(r);
        checks.push({ id: `steady-state.after.${probes.after.length}`, name: `steady state after: ${r.name}`, category: 'steady-state', passed: r.ok, message: r.detail });
      }
    }
    if (history.some(isAcknowledged)) {
      const d = await drained(60_000);
      if (!d.ok) warnings.push(`backlog not drained before the checker: ${d.detail}`);
    }
    try {
      if (opts.hooks?.beforeCheck) await opts.hooks.beforeCheck({ state: state(), prefix, history, log: print });
      const finalState = await state().readFinalState(prefix);
      checker = checkHistory(history, finalState, prefix);
      print(
        `checker: ${checker.attempted} attempted, ${checker.acknowledged} acknowledged, ${checker.persisted} persisted — lost ${checker.lost.count}, duplicated ${checker.duplicated.count}, oversold ${checker.oversold.count}, unexpected ${checker.unexpected.count}; unknown ${checker.unknown.count} (${checker.unknown.recovered} recovered)`,
      );
    } catch (e) {
      infraFailure = true;
      error ??= `cannot read the final state from PostgreSQL: ${(e as Error).message}`;
      print(`✘ ${error}`);
    }
  }
  const timings = computeTimings(history, windows);
  if (drainMs !== undefined) timings.drainMs = drainMs;
  if (checker) checks.push(...invariantChecks(opts.scenario, checker));
  checks.push(...expectationChecks(opts.scenario, history));
  checks.push(...thresholdChecks(opts.scenario, history, windows, timings));
  wall.checksMs = nowMs() - tChecks;

  // ------------------------------------------------------------ metrics (optional; never fails the run)
  let metrics: MetricsSeries | undefined;
  if (opts.captureMetrics !== false && endpoints?.prometheus) {
    try {
      const capture = opts.captureMetrics ?? (await loadMetricsCapture());
      if (capture) metrics = await capture(endpoints.prometheus, Math.floor(t0) - 5_000, Math.ceil(nowMs()) + 1_000);
    } catch (e) {
      warnings.push(`metrics capture failed: ${(e as Error).message}`);
    }
  }

  opts.signal?.removeEventListener('abort', onAbort);
  await agent.close().catch(() => undefined);
  if (!opts.state) await stateImpl?.close().catch(() => undefined);

  const failed = checks.filter((c) => !c.passed);
  let verdict: Verdict = aborted() ? 'interrupted' : infraFailure ? 'error' : failed.length ? 'fail' : 'pass';
  if (verdictOverride) verdict = verdictOverride;
  const exitCode = verdict === 'pass' ? 0 : verdict === 'fail' ? 1 : verdict === 'interrupted' ? 130 : 3;
  const endMs = nowMs();
  wall.totalMs = endMs - t0;
  for (const k of Object.keys(wall) as (keyof WallPhases)[]) wall[k] = round(wall[k])!;
  print(`${verdict === 'pass' ? '✔ PASS' : verdict === 'fail' ? `✘ FAIL (${failed.length} check${failed.length > 1 ? 's' : ''} failed)` : `✘ ${verdict.toUpperCase()}`} in ${(wall.totalMs / 1000).toFixed(2)}s`);

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    runId,
    keyPrefix: prefix,
    scenario: { name: opts.scenario.name, description: opts.scenario.description, file: opts.file, source: opts.source, parameters: opts.params, definition: opts.scenario },
    verdict,
    exitCode,
    error: verdict === 'interrupted' ? (error ?? 'interrupted') : error,
    startedAt,
    finishedAt: new Date().toISOString(),
    startMs: round(t0)!,
    endMs: round(endMs)!,
    durationMs: wall.totalMs,
    environment: {
      stackId: opts.stack.id,
      ephemeral: opts.ephemeral ?? false,
      gateway: endpoints?.gateway ?? '',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      hostname: hostname(),
      eventflowVersion: '0.1.0',
      services: await opts.stack.services().catch(() => undefined),
    },
    steps,
    probes,
    faultWindows: windows,
    history: { summary: summarize(history), phases: phaseTable(history, windows), ops: history.sort((a, b) => a.invokeMs - b.invokeMs) },
    timings,
    checker,
    checks,
    wall,
    warnings,
    metrics,
  };
}

function needsHeal(action: FaultAction, st: Set<FaultState> | undefined): boolean {
  if (!st) return false;
  if (action === 'start' || action === 'restart') return st.has('down');
  if (action === 'unpause') return st.has('paused');
  if (action === 'reconnect') return st.has('disconnected');
  return false; // breaking actions in a rollback are not undone-by-design; skip
}

async function loadMetricsCapture(): Promise<CaptureSeries | undefined> {
  const spec = './metrics-capture.js';
  try {
    const mod = (await import(spec)) as { captureSeries?: CaptureSeries };
    return mod.captureSeries;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw e;
  }
}

// ------------------------------------------------------------ verifications

const INVARIANT_TEXT = {
  lost: 'no acknowledged purchase is lost',
  duplicated: 'no purchase is persisted twice',
  oversold: 'no event is oversold',
  unexpected: 'no persisted order that nobody attempted',
  'failed-but-persisted': 'no refused purchase was persisted',
} as const;

export function invariantChecks(s: ScenarioFile, c: CheckerResult): Check[] {
  const wanted = s.verify?.invariants ?? (Object.keys(INVARIANT_TEXT) as (keyof typeof INVARIANT_TEXT)[]);
  const value = (inv: keyof typeof INVARIANT_TEXT) =>
    inv === 'lost' ? c.lost.count : inv === 'duplicated' ? c.duplicated.count : inv === 'oversold' ? c.oversold.count : inv === 'unexpected' ? c.unexpected.count : c.failedButPersisted.count;
  const detail = (inv: keyof typeof INVARIANT_TEXT) => {
    const keys =
      inv === 'lost' ? [...c.lost.keys, ...c.lost.orderIdMismatch.map((k) => `${k} (order id differs)`)] : inv === 'duplicated' ? [...c.duplicated.keys, ...c.duplicated.orderIds] : inv === 'oversold' ? c.oversold.events.map((e) => `event ${e.id}: remaining ${e.remaining}, confirmed ${e.confirmedQuantity}/${e.capacity}`) : inv === 'unexpected' ? c.unexpected.keys : c.failedButPersisted.keys;
    return keys.length ? `: ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ` … (+${keys.length - 10})` : ''}` : '';
  };
  const checks: Check[] = wanted.map((inv) => ({
    id: `invariant.${inv}`,
    name: `${inv} = 0 (${INVARIANT_TEXT[inv]})`,
    category: 'invariant',
    passed: value(inv) === 0,
    value: value(inv),
    limit: 0,
    message: `${inv}=${value(inv)} of ${c.acknowledged} acknowledged / ${c.persisted} persisted${detail(inv)}`,
  }));
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

export function thresholdChecks(s: ScenarioFile, history: readonly Op[], windows: readonly FaultWindow[], timings: { timeToDetectMs?: number; timeToRecoverMs?: number; drainMs?: number }): Check[] {
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

export type { FaultStepDef };
