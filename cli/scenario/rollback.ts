/**
 * Rollback, which always runs: stop the traffic, run the scenario's rollback
 * steps, heal whatever the fault ledger says is still broken (whatever the
 * file said), then wait until every service a fault touched is healthy again.
 */
import type { StepRecord } from '../../reports/model.js';
import type { RunContext } from './run-context.js';
import { round } from './stats.js';
import { runStep } from './steps.js';
import { nowMs } from './traffic.js';

const HEALTHY_AFTER_ROLLBACK_MS = 90_000;

export async function rollback(ctx: RunContext): Promise<void> {
  ctx.traffic.abort.abort();
  await Promise.allSettled(ctx.traffic.background.values());
  try {
    if (!ctx.endpoints) return;
    for (const [i, def] of (ctx.scenario.rollback ?? []).entries()) {
      try {
        await runStep(ctx, def, i, 'rollback');
      } catch (e) {
        ctx.warn(`rollback step ${i + 1}: ${(e as Error).message}`);
      }
    }
    await autoHeal(ctx);
    if (ctx.ledger.touched.size) {
      await ctx.refreshEndpoints();
      await waitUntilTouchedHealthy(ctx);
    }
  } finally {
    ctx.ledger.closeOpenWindows('rollback');
  }
}

async function autoHeal(ctx: RunContext): Promise<void> {
  const heals = ctx.ledger.pendingHeals();
  if (!heals.length) return;
  const rec: StepRecord = { index: ctx.stepCount++, id: 'auto-heal', kind: 'heal', label: heals.map(([a, s]) => `${a} ${s}`).join(', '), section: 'rollback', startMs: nowMs(), status: 'running', services: heals.map(([, s]) => s) };
  ctx.events.emit({ type: 'step-started', step: rec });
  for (const [action, service] of heals) {
    try {
      await ctx.ledger.apply(action, service);
    } catch (e) {
      ctx.warn(`auto-heal ${action} ${service}: ${(e as Error).message}`);
    }
  }
  rec.endMs = nowMs();
  rec.durationMs = round(rec.endMs - rec.startMs);
  rec.status = 'ok';
  ctx.events.emit({ type: 'step-finished', step: rec });
}

async function waitUntilTouchedHealthy(ctx: RunContext): Promise<void> {
  const list = [...ctx.ledger.touched];
  const ok = await ctx.waitUntil(async () => (await Promise.all(list.map(ctx.isHealthy))).every(Boolean), HEALTHY_AFTER_ROLLBACK_MS);
  if (ok) {
    ctx.events.emit({ type: 'rollback-healthy', services: list });
    return;
  }
  const bad = [];
  for (const s of list) if (!(await ctx.isHealthy(s))) bad.push(s);
  ctx.warn(`after rollback, not healthy: ${bad.join(', ')}`);
  ctx.failure.infra = true;
  ctx.failure.error ??= `rollback could not make the stack healthy (${bad.join(', ')})`;
}
