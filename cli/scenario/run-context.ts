/**
 * What the phases of one run share: the stack, the history, the fault
 * ledger, the traffic generator's plumbing, the event stream, and a few
 * helpers (bounded waits, health, endpoints that move when a container restarts).
 */
import type { Agent } from 'undici';
import type { StackEndpoints, StackHandle } from '../stack/types.js';
import type { LoadResult, Op, WallPhases } from '../../reports/model.js';
import type { EngineEvents } from './events.js';
import { FaultLedger } from './fault-ledger.js';
import type { ScenarioFile } from './format.js';
import { createSystemState, type SystemState } from './final-state.js';
import { createAgent, nowMs, sleep } from './traffic.js';

export type WallBucket = Exclude<keyof WallPhases, 'setupMs' | 'checksMs' | 'rollbackMs' | 'totalMs'> | 'other';

export interface RunContext {
  readonly scenario: ScenarioFile;
  readonly stack: StackHandle;
  readonly runId: string;
  /** Idempotency keys of this run start with it. */
  readonly prefix: string;
  readonly startMs: number;
  readonly signal?: AbortSignal;
  /** Ends rollback's wait for health (a second Ctrl-C); `signal` alone does not. */
  readonly recoverySignal?: AbortSignal;
  readonly events: EngineEvents;
  readonly history: Op[];
  readonly ledger: FaultLedger;
  readonly wall: WallPhases;
  readonly traffic: {
    readonly agent: Agent;
    /** Aborted by the run's signal and when rollback starts. */
    readonly abort: AbortController;
    /** Background loads by step id, resolving to what each did against its schedule. */
    readonly background: Map<string, Promise<LoadResult>>;
    nextOpId(): number;
    nextKey(): string;
  };
  endpoints?: StackEndpoints;
  /** Heal → backlog drained, measured by a `backlog-drained` wait. */
  drainMs?: number;
  /** Steps started so far, both sections (the auto-heal record is numbered after them). */
  stepCount: number;
  /** Why the run stops early, if it does. */
  failure: { error?: string; infra: boolean };
  aborted(): boolean;
  gateway(): string;
  systemState(): SystemState;
  waitUntil(cond: () => Promise<boolean>, timeoutMs: number): Promise<boolean>;
  isHealthy(service: string): Promise<boolean>;
  /** Host ports may change when a container starts again: re-read them after every fault. */
  refreshEndpoints(): Promise<void>;
  warn(message: string): void;
  /** Frees the agent and the state reader (when the run created it). */
  close(): Promise<void>;
}

export interface ContextOptions {
  scenario: ScenarioFile;
  stack: StackHandle;
  runId: string;
  events: EngineEvents;
  signal?: AbortSignal;
  recoverySignal?: AbortSignal;
  /** Defaults to PostgreSQL + RabbitMQ of the stack. */
  state?: SystemState;
  pollMs: number;
}

export function createRunContext(o: ContextOptions): RunContext {
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const agent = createAgent(64);
  let opSeq = 0;
  let keySeq = 0;
  let state = o.state;
  const prefix = `${o.runId}-`;
  const ctx: RunContext = {
    scenario: o.scenario,
    stack: o.stack,
    runId: o.runId,
    prefix,
    startMs: nowMs(),
    signal: o.signal,
    recoverySignal: o.recoverySignal,
    events: o.events,
    history: [],
    ledger: new FaultLedger(o.stack.faults, o.events, nowMs),
    wall: { setupMs: 0, faultMs: 0, purchasesMs: 0, recoveryMs: 0, drainMs: 0, checksMs: 0, rollbackMs: 0, totalMs: 0 },
    traffic: { agent, abort, background: new Map(), nextOpId: () => ++opSeq, nextKey: () => `${prefix}${++keySeq}` },
    stepCount: 0,
    failure: { infra: false },
    aborted: () => o.signal?.aborted === true,
    gateway() {
      if (!ctx.endpoints) throw new Error('the stack endpoints are not known yet');
      return ctx.endpoints.gateway;
    },
    systemState: () => (state ??= createSystemState(() => o.stack.endpoints(), o.stack.credentials)),
    async waitUntil(cond, timeoutMs) {
      const deadline = nowMs() + timeoutMs;
      for (;;) {
        if (await cond()) return true;
        if (nowMs() >= deadline || ctx.aborted()) return false;
        await sleep(o.pollMs, o.signal);
      }
    },
    async isHealthy(service) {
      try {
        return await o.stack.faults.isHealthy(service);
      } catch {
        return false;
      }
    },
    async refreshEndpoints() {
      state?.invalidate?.();
      try {
        ctx.endpoints = await o.stack.endpoints();
      } catch (e) {
        ctx.warn(`could not re-read the stack's endpoints: ${(e as Error).message}`);
      }
    },
    warn: (message) => o.events.emit({ type: 'warning', message }),
    async close() {
      o.signal?.removeEventListener('abort', onAbort);
      await agent.close().catch(() => undefined);
      if (!o.state) await state?.close().catch(() => undefined);
    },
  };
  return ctx;
}
