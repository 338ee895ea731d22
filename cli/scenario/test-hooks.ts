/**
 * Test-only sabotage, for the end-to-end tests that prove a run can fail:
 * `EVENTFLOW_TEST_SABOTAGE=delete-acked-order` deletes one acknowledged order
 * behind the system's back just before the checker reads the database.
 */
import chalk from 'chalk';
import type { EngineHooks } from './check.js';
import { isAcknowledged } from './history.js';

export function testHooks(): EngineHooks | undefined {
  if (process.env.EVENTFLOW_TEST_SABOTAGE !== 'delete-acked-order') return undefined;
  return {
    async beforeCheck({ state, prefix, history, log }) {
      const acked = history.filter(isAcknowledged);
      const victim = acked[0]?.key;
      const deleted = victim ? await state.deleteOneOrder(prefix, victim) : undefined;
      log(chalk.magenta(`[test sabotage] deleted the acknowledged order ${deleted ?? '(none found)'} behind the system's back`));
    },
  };
}
