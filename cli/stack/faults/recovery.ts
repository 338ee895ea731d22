/**
 * The end of a rollback: undo the gray faults still applied (last applied,
 * first healed), then wait, bounded, until every service the run touched is
 * healthy again. An AbortSignal (a second Ctrl-C) ends the wait at once and says
 * which services were still not healthy. Nothing here throws: what could not be
 * healed is reported for the run's warnings.
 */
import type { FaultDriver, GrayFault } from '../types.js';
import { describeGrayFault } from './registry.js';

export interface RecoveryOptions {
  /** Give up waiting for health after this long (default 120 s). */
  timeoutMs?: number;
  pollMs?: number;
  /** Aborted: stop waiting (heals already done stay done). */
  signal?: AbortSignal;
  /** Each service as it turns healthy, and each heal that failed. */
  onProgress?: (line: string) => void;
}

export interface RecoveryResult {
  healed: GrayFault[];
  failed: { fault: GrayFault; error: string }[];
  /** Services still unhealthy when the wait ended (timeout or abort). */
  unhealthy: string[];
  /** The wait was cut short by the signal. */
  aborted: boolean;
  waitedMs: number;
}

/** Poll until every service is healthy, the time is up or the signal fires; returns the ones still not healthy. */
export async function awaitHealthy(driver: Pick<FaultDriver, 'isHealthy'>, services: string[], opts: RecoveryOptions = {}): Promise<{ unhealthy: string[]; aborted: boolean }> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let pending = [...new Set(services)];
  while (pending.length > 0) {
    if (opts.signal?.aborted) return { unhealthy: pending, aborted: true };
    const states = await Promise.all(pending.map((s) => driver.isHealthy(s).catch(() => false)));
    for (const [i, s] of pending.entries()) if (states[i]) opts.onProgress?.(`${s} healthy`);
    pending = pending.filter((_, i) => !states[i]);
    if (pending.length === 0 || Date.now() >= deadline) break;
    await abortableSleep(Math.min(opts.pollMs ?? 500, Math.max(0, deadline - Date.now())), opts.signal);
  }
  return { unhealthy: pending, aborted: opts.signal?.aborted ?? false };
}

/** Heal `faults` in reverse order, then await the health of `services` plus every service a fault touched. */
export async function healAndAwaitHealthy(driver: FaultDriver, faults: GrayFault[], services: string[], opts: RecoveryOptions = {}): Promise<RecoveryResult> {
  const started = Date.now();
  const healed: GrayFault[] = [];
  const failed: RecoveryResult['failed'] = [];
  for (const fault of [...faults].reverse()) {
    if (!driver.heal) {
      failed.push({ fault, error: 'this fault driver cannot heal gray faults' });
      continue;
    }
    try {
      await driver.heal(fault);
      healed.push(fault);
    } catch (e) {
      failed.push({ fault, error: (e as Error).message });
      opts.onProgress?.(`could not heal ${describeGrayFault(fault)}: ${(e as Error).message}`);
    }
  }
  const { unhealthy, aborted } = await awaitHealthy(driver, [...services, ...faults.map((f) => f.service)], opts);
  return { healed, failed, unhealthy, aborted, waitedMs: Date.now() - started };
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
