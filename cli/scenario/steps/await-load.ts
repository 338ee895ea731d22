/** `await-load:` steps: wait for a background load to finish. */
import type { StepDef } from '../format.js';
import type { StepKindModule } from '../steps.js';
import { loadSummary } from './load.js';

export const awaitLoadStep: StepKindModule<Extract<StepDef, { 'await-load': unknown }>> = {
  recordKind: () => 'await-load',
  prepare(ctx, def, rec) {
    const id = def['await-load'];
    return {
      label: `await load ${id}`,
      bucket: 'purchasesMs',
      async run() {
        const result = await ctx.traffic.background.get(id);
        ctx.traffic.background.delete(id);
        rec.detail = loadSummary(ctx.history, id, result);
      },
    };
  },
};
