/** Sentences about a run that the console, the HTML report and junit.xml say alike. */
import type { CheckerResult } from './model.js';

/** "5 confirmed · 17 rejected after acknowledgement · 0 pending" (the persisted count when the split is unknown). */
export function orderSplitText(c: CheckerResult, sep = ' · '): string {
  if (!c.orders) return `${c.persisted} persisted`;
  const { confirmed, rejected, pending } = c.orders;
  return [`${confirmed} confirmed`, `${rejected} rejected after acknowledgement`, `${pending} pending`].join(sep);
}

/** The checker's line: what was attempted and acknowledged, how it ended, and the invariants' counts. */
export function checkerLine(c: CheckerResult): string {
  return `${c.attempted} attempted, ${c.acknowledged} acknowledged — ${orderSplitText(c, ', ')} — lost ${c.lost.count}, duplicated ${c.duplicated.count}, oversold ${c.oversold.count}, conservation ${c.conservation.count}, unexpected ${c.unexpected.count}; unknown ${c.unknown.count} (${c.unknown.recovered} recovered)`;
}
