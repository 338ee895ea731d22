/**
 * What a run tells the world while it happens: a typed event stream. The
 * engine and its phases only emit; the live console log and the report
 * builder are subscribers (so are charts sampled during a run, later).
 */
import type { Check, CheckerResult, FaultWindow, ProbeResult, StepRecord, Verdict } from '../../reports/model.js';

/** The phases, in the order the engine runs them. */
export const ENGINE_PHASES = ['steady-state-before', 'steps', 'rollback', 'steady-state-after', 'drain', 'check', 'verify', 'metrics'] as const;
export type EnginePhase = (typeof ENGINE_PHASES)[number];

interface Stamped {
  /** Epoch milliseconds (fractional) when it happened. */
  atMs: number;
}

export type EngineEvent = Stamped &
  (
    | { type: 'run-started'; runId: string; scenario: string; startMs: number }
    | { type: 'stack-connected'; runId: string; scenario: string; stackId: string; gateway: string }
    | { type: 'phase-started'; phase: EnginePhase }
    | { type: 'phase-finished'; phase: EnginePhase; durationMs: number }
    | { type: 'probe-result'; when: 'before' | 'after'; result: ProbeResult }
    /** The record is live: the step runner fills it in until `step-finished`. */
    | { type: 'step-started'; step: StepRecord }
    | { type: 'step-finished'; step: StepRecord }
    | { type: 'background-load-waiting'; stepId: string }
    | { type: 'background-load-finished'; step: StepRecord }
    | { type: 'fault-applied'; action: string; service: string; breaking: boolean }
    | { type: 'fault-healed'; window: FaultWindow }
    | { type: 'rollback-healthy'; services: string[] }
    | { type: 'run-error'; message: string }
    | { type: 'warning'; message: string }
    | { type: 'checker-result'; result: CheckerResult }
    | { type: 'check-result'; check: Check }
    /** Free text from a hook (the test sabotage says what it did). */
    | { type: 'note'; text: string }
    | { type: 'run-finished'; verdict: Verdict; failedChecks: number; failed: Array<{ name: string; message?: string }>; durationMs: number }
  );

export type EngineEventType = EngineEvent['type'];
export type EventOf<T extends EngineEventType> = Extract<EngineEvent, { type: T }>;
/** An event as a phase emits it: the emitter stamps the time. */
export type EngineEventInput = EngineEvent extends infer E ? (E extends EngineEvent ? Omit<E, 'atMs'> : never) : never;
export type EngineListener = (event: EngineEvent) => void;

export interface EngineEvents {
  emit(event: EngineEventInput): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: EngineListener): () => void;
}

/** A listener that throws is a bug in that listener; the run goes on and the error is reported once on stderr. */
export function createEngineEvents(now: () => number): EngineEvents {
  const listeners = new Set<EngineListener>();
  return {
    emit(input) {
      const event = { ...input, atMs: now() } as EngineEvent;
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (e) {
          process.stderr.write(`eventflow: an engine event listener failed on "${event.type}": ${(e as Error).message}\n`);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
