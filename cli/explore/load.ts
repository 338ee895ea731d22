/**
 * The background load of an explore run: every load step of a schedule comes
 * from this one function (adversarial client options go here).
 */
import type { LoadStepDef } from '../scenario/format.js';
import type { Rng } from './rng.js';

/** The seed catalogue's small event (capacity 5): contention, so that oversold and conservation have something to judge. */
export const SMALL_EVENT_ID = 4;

export interface LoadOptions {
  /** How long the load runs (the schedule's length), ms. */
  durationMs: number;
  /** Requests per second of the main mix (purchases and reads). */
  rate: number;
}

export function backgroundLoad(rng: Rng, o: LoadOptions): LoadStepDef[] {
  const duration = `${o.durationMs}ms`;
  return [
    {
      id: 'load',
      load: { purchases: rng.int(1, 3), reads: rng.int(1, 2), rate: o.rate, duration, concurrency: 8, background: true, timeout: '5s' },
    },
    {
      // clients that behave like real ones (scenarios/README.md, "Clients that behave like real ones"): some send no
      // Idempotency-Key, some submit twice at once, all retry on a 5xx or a timeout — same key or a new one
      id: 'adversarial',
      load: {
        purchases: 1,
        rate: Math.max(1, Math.round(o.rate / 4)),
        duration,
        concurrency: 4,
        background: true,
        timeout: `${rng.pick([1, 2, 5])}s`,
        keyless: rng.pick([0.1, 0.2, 0.3]),
        duplicate: rng.pick([0, 0.1, 0.2]),
        retry: { attempts: rng.int(2, 3), backoff: '200ms', sameKey: rng.chance(0.7) },
      },
    },
    {
      id: 'contention',
      load: { purchases: 1, rate: 1, duration, concurrency: 2, eventId: SMALL_EVENT_ID, quantity: rng.int(1, 2), background: true, timeout: '5s' },
    },
  ];
}

/** The ids of the background loads (awaited before the final checks). */
export function loadIds(steps: readonly LoadStepDef[]): string[] {
  return steps.map((s) => s.id).filter((id): id is string => id !== undefined);
}
