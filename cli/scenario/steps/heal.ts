/** `heal: <step id>`: undo the gray faults an earlier fault step applied (before rollback would). */
import type { HealStepDef } from '../format.js';
import type { StepKindModule } from '../steps.js';

export const healStep: StepKindModule<HealStepDef> = {
  recordKind: () => 'heal',
  prepare(ctx, def, rec) {
    return {
      label: `heal ${def.heal}`,
      bucket: 'recoveryMs',
      async run() {
        const healed = await ctx.ledger.healGray(def.heal, rec.id);
        rec.services = [...new Set(healed.map((f) => f.service))];
        if (healed.length === 0) {
          rec.status = 'skipped';
          rec.detail = 'nothing to undo';
        }
      },
    };
  },
};
