/**
 * The backlog: purchases acknowledged with 202 wait in RabbitMQ until the
 * notifier persists them. Used by the `backlog-drained` wait and by the drain
 * phase before the checker reads the database.
 */
import { isAcknowledged } from './history.js';
import type { RunContext } from './run-context.js';
import { nowMs } from './traffic.js';

/** Queues empty and nothing new persisted for this long: the checker judges what is missing. */
const QUIET_MS = 3_000;
const DRAIN_PHASE_TIMEOUT_MS = 60_000;

export async function waitUntilBacklogDrained(ctx: RunContext, timeoutMs: number): Promise<{ ok: boolean; detail: string }> {
  let last = '';
  let quietSince: number | undefined;
  let lastPersisted = -1;
  const ok = await ctx.waitUntil(async () => {
    try {
      const state = ctx.systemState();
      const q = await state.queueDepths();
      const depth = Object.values(q.depths).reduce((a, b) => a + b, 0);
      const keys = await state.persistedKeys(ctx.prefix);
      const acked = ctx.history.filter(isAcknowledged);
      const missing = acked.filter((o) => !keys.has(o.key ?? o.email ?? '')).length;
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
      if (quietSince !== undefined && nowMs() - quietSince >= QUIET_MS) {
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
}

/** The drain phase: only when something was acknowledged; a backlog left over is a warning (the checker will say what it means). */
export async function drainBacklog(ctx: RunContext): Promise<void> {
  if (!ctx.history.some(isAcknowledged)) return;
  const d = await waitUntilBacklogDrained(ctx, DRAIN_PHASE_TIMEOUT_MS);
  if (!d.ok) ctx.warn(`backlog not drained before the checker: ${d.detail}`);
}
