/** `fault:` steps: an action on resolved targets. In rollback, only what is still broken is healed. */
import { BREAKING, type FaultStepDef } from '../format.js';
import type { StepKindModule } from '../steps.js';
import { resolveTargets, targetLabel } from '../targets.js';

export const faultStep: StepKindModule<FaultStepDef> = {
  recordKind: (section) => (section === 'rollback' ? 'rollback' : 'fault'),
  prepare(ctx, def, rec) {
    const services = resolveTargets(ctx.stack, def.target);
    // Say which services a group, a random pick or an object target became.
    const resolved = (services.length > 1 && !Array.isArray(def.target)) || (typeof def.target === 'object' && !Array.isArray(def.target));
    return {
      label: `${def.fault} ${targetLabel(def.target)}${resolved ? ` → ${services.join(', ')}` : ''}`,
      services,
      bucket: BREAKING.has(def.fault) ? 'faultMs' : 'recoveryMs',
      async run() {
        const targets = rec.section === 'rollback' ? services.filter((s) => ctx.ledger.needsHeal(def.fault, s)) : services;
        if (targets.length === 0) {
          rec.status = 'skipped';
          rec.detail = 'nothing to undo';
          return;
        }
        await Promise.all(targets.map((s) => ctx.ledger.apply(def.fault, s, def.signal)));
        await ctx.refreshEndpoints();
      },
    };
  },
};
