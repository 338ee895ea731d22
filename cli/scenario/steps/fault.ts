/**
 * `fault:` steps: an action on resolved targets. In rollback, only what is still broken is healed.
 * Gray faults (loss, latency, throttle…) go through the driver's degrade; with `duration` the step
 * holds the fault that long and heals it, otherwise a `heal:` step or rollback does.
 */
import { describeGrayFault } from '../../stack/faults/registry.js';
import { BREAKING, type FaultAction, type FaultStepDef, type GrayFaultAction } from '../format.js';
import { GRAY_FAULT_STEPS, holdMs, isGrayFaultAction } from '../gray-fault-steps.js';
import type { RunContext } from '../run-context.js';
import type { PreparedStep, StepKindModule } from '../steps.js';
import { resolveTargets, targetLabel } from '../targets.js';
import { sleep } from '../traffic.js';
import { StepFailure } from '../step-failure.js';
import type { StepRecord } from '../../../reports/model.js';

export const faultStep: StepKindModule<FaultStepDef> = {
  recordKind: (section) => (section === 'rollback' ? 'rollback' : 'fault'),
  prepare(ctx, def, rec) {
    const services = resolveTargets(ctx.stack, def.target);
    if (isGrayFaultAction(def.fault)) return prepareGray(ctx, def, def.fault, services, rec);
    const action: FaultAction = def.fault;
    // Say which services a group, a random pick or an object target became.
    const resolved = (services.length > 1 && !Array.isArray(def.target)) || (typeof def.target === 'object' && !Array.isArray(def.target));
    return {
      label: `${action} ${targetLabel(def.target)}${resolved ? ` → ${services.join(', ')}` : ''}`,
      services,
      bucket: BREAKING.has(action) ? 'faultMs' : 'recoveryMs',
      async run() {
        const targets = rec.section === 'rollback' ? services.filter((s) => ctx.ledger.needsHeal(action, s)) : services;
        if (targets.length === 0) {
          rec.status = 'skipped';
          rec.detail = 'nothing to undo';
          return;
        }
        await Promise.all(targets.map((s) => ctx.ledger.apply(action, s, def.signal)));
        await ctx.refreshEndpoints();
      },
    };
  },
};

function prepareGray(ctx: RunContext, def: FaultStepDef, kind: GrayFaultAction, services: string[], rec: StepRecord): PreparedStep {
  const peers = [...new Set((def.peers ?? []).flatMap((p) => resolveTargets(ctx.stack, p)))];
  const faults = services.map((s) => GRAY_FAULT_STEPS[kind].build(def, s, peers.filter((p) => p !== s)));
  const hold = holdMs(def);
  return {
    // db-lock's own description says how long it lasts
    label: `${faults.map(describeGrayFault).join(', ')}${hold !== undefined && kind !== 'db-lock' ? ` for ${hold / 1000} s` : ''}`,
    services,
    bucket: 'faultMs',
    async run() {
      await Promise.all(faults.map((f) => ctx.ledger.degrade(rec.id, f)));
      if (hold === undefined) return;
      await sleep(hold, ctx.signal);
      if (ctx.aborted()) return; // rollback heals it
      await ctx.ledger.healGray(rec.id, `${rec.id} (after ${hold / 1000} s)`);
      rec.detail = `healed after ${hold / 1000} s`;
    },
  };
}

/**
 * Before any step runs: can this host apply every gray fault the scenario uses (tools, helper
 * image, the fault proxy)? One check per kind and service; a problem stops the run with exit 3.
 */
export async function preflightGrayFaults(ctx: RunContext): Promise<void> {
  const seen = new Set<string>();
  for (const def of ctx.scenario.steps) {
    if (!('fault' in def) || !isGrayFaultAction(def.fault)) continue;
    if (!ctx.stack.faults.degrade) throw new StepFailure(`fault ${def.fault}: this stack's fault driver cannot apply gray faults`, true);
    const preflight = ctx.stack.faults.preflight?.bind(ctx.stack.faults);
    if (!preflight) continue;
    for (const service of resolveTargets(ctx.stack, def.target)) {
      const key = `${def.fault} ${service}`;
      if (seen.has(key)) continue;
      seen.add(key);
      try {
        await preflight(GRAY_FAULT_STEPS[def.fault].build(def, service, []));
      } catch (e) {
        throw new StepFailure(`this host cannot apply ${def.fault} on ${service} (nothing was started): ${(e as Error).message}`, true);
      }
    }
  }
}
