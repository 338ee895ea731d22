/** `sleep:` steps: a pause that a Ctrl-C cuts short. */
import { parseDuration, type StepDef } from '../format.js';
import type { StepKindModule } from '../steps.js';
import { sleep } from '../traffic.js';

export const sleepStep: StepKindModule<Extract<StepDef, { sleep: unknown }>> = {
  recordKind: () => 'sleep',
  prepare(ctx, def) {
    const ms = parseDuration(def.sleep, 0);
    return { label: `sleep ${ms} ms`, bucket: 'other', run: () => sleep(ms, ctx.signal) };
  },
};
