/** The check phase: read the final state from PostgreSQL and run the checker over the history. */
import type { CheckerResult } from '../../reports/model.js';
import { checkHistory } from './checker.js';
import { orderSplit } from './order-split.js';
import type { Op } from './history.js';
import type { SystemState } from './final-state.js';
import type { RunContext } from './run-context.js';

export interface EngineHooks {
  /** Runs after the backlog drained and before the checker reads the database (tests use it to sabotage). */
  beforeCheck?: (ctx: { state: SystemState; prefix: string; history: readonly Op[]; log: (line: string) => void }) => Promise<void>;
}

export async function checkFinalState(ctx: RunContext, hooks: EngineHooks | undefined): Promise<CheckerResult | undefined> {
  try {
    const state = ctx.systemState();
    if (hooks?.beforeCheck) await hooks.beforeCheck({ state, prefix: ctx.prefix, history: ctx.history, log: (text) => ctx.events.emit({ type: 'note', text }) });
    const final = await state.readFinalState(ctx.prefix);
    const result = { ...checkHistory(ctx.history, final, ctx.prefix), orders: orderSplit(final.orders, ctx.prefix) };
    ctx.events.emit({ type: 'checker-result', result });
    return result;
  } catch (e) {
    ctx.failure.infra = true;
    ctx.failure.error ??= `cannot read the final state from PostgreSQL: ${(e as Error).message}`;
    ctx.events.emit({ type: 'run-error', message: ctx.failure.error });
    return undefined;
  }
}
