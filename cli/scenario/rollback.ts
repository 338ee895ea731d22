/**
 * Rollback, which always runs: stop the traffic, run the scenario's rollback
 * steps, heal whatever the fault ledger says is still broken (whatever the
 * file said: stopped/paused/disconnected services, then gray faults last-first),
 * then wait, bounded, until every service a fault touched is healthy again.
 * The wait survives the first Ctrl-C (that is what interrupted the steps);
 * the run's recovery signal (a second Ctrl-C) ends it.
 */
import type { StepRecord } from '../../reports/model.js';
import { describeGrayFault } from '../stack/faults/registry.js';
import { healAndAwaitHealthy } from '../stack/faults/recovery.js';
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
    if (ctx.ledger.touched.size) await healGrayAndAwaitHealthy(ctx);
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

/** Heal the gray faults still applied, then wait until every touched service is healthy (healAndAwaitHealthy). */
async function healGrayAndAwaitHealthy(ctx: RunContext): Promise<void> {
  const gray = ctx.ledger.pendingGray();
  const touched = [...ctx.ledger.touched];
  const rec: StepRecord | undefined = gray.length
    ? { index: ctx.stepCount++, id: 'auto-heal-gray', kind: 'heal', label: gray.map(describeGrayFault).join(', '), section: 'rollback', startMs: nowMs(), status: 'running', services: [...new Set(gray.map((f) => f.service))] }
    : undefined;
  if (rec) ctx.events.emit({ type: 'step-started', step: rec });
  const result = await healAndAwaitHealthy(ctx.stack.faults, gray, touched, { timeoutMs: HEALTHY_AFTER_ROLLBACK_MS, signal: ctx.recoverySignal, pollMs: 500 });
  ctx.ledger.markGrayHealed(result.healed, 'rollback');
  for (const { fault, error } of result.failed) ctx.warn(`auto-heal ${describeGrayFault(fault)}: ${error}`);
  if (rec) {
    rec.endMs = nowMs();
    rec.durationMs = round(rec.endMs - rec.startMs);
    rec.status = result.failed.length ? 'failed' : 'ok';
    ctx.events.emit({ type: 'step-finished', step: rec });
  }
  await ctx.refreshEndpoints();
  if (result.unhealthy.length === 0) {
    ctx.events.emit({ type: 'rollback-healthy', services: touched });
    return;
  }
  const bad = result.unhealthy.join(', ');
  if (result.aborted) {
    ctx.warn(`stopped waiting for health (interrupted again): ${bad} not healthy yet`);
    return;
  }
  ctx.warn(`after rollback, not healthy: ${bad} (waited ${Math.round(result.waitedMs / 1000)} s)`);
  ctx.failure.infra = true;
  ctx.failure.error ??= `rollback could not make the stack healthy (${bad})`;
}
