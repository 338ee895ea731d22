/** Bounded polling for tests: every wait in the suites goes through here. */
export { setTimeout as sleep } from 'node:timers/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Poll `check` every `everyMs` until it returns a truthy value; throws naming `what` after `timeoutMs`. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(everyMs);
  }
  const last = lastError instanceof Error ? lastError.message : lastError === undefined ? '' : String(lastError);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ''}`);
}
