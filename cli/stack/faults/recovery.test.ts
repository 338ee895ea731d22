import { describe, expect, it } from 'vitest';
import type { FaultDriver, GrayFault } from '../types.js';
import { awaitHealthy, healAndAwaitHealthy } from './recovery.js';

/** A driver whose services turn healthy at given times (ms after creation); heals are recorded. */
function fakeDriver(healthyAfterMs: Record<string, number>, failHeal?: GrayFault['kind']): FaultDriver & { healed: string[] } {
  const t0 = Date.now();
  const healed: string[] = [];
  const noop = async (): Promise<void> => undefined;
  return {
    healed,
    kill: noop,
    stop: noop,
    start: noop,
    restart: noop,
    pause: noop,
    unpause: noop,
    disconnect: noop,
    reconnect: noop,
    isHealthy: async (s) => Date.now() - t0 >= (healthyAfterMs[s] ?? 0),
    heal: async (f) => {
      if (f.kind === failHeal) throw new Error('tc: no such device');
      healed.push(`${f.kind} ${f.service}`);
    },
  };
}

describe('rollback recovery', () => {
  it('heals the last applied fault first, then waits until every touched service is healthy', async () => {
    const driver = fakeDriver({ 'api-2': 300, postgres: 100 });
    const faults: GrayFault[] = [
      { kind: 'loss', service: 'api-2', percent: 20 },
      { kind: 'throttle', service: 'postgres', cpus: 0.1 },
    ];
    const res = await healAndAwaitHealthy(driver, faults, ['api-1'], { pollMs: 20 });
    expect(driver.healed).toEqual(['throttle postgres', 'loss api-2']);
    expect(res.unhealthy).toEqual([]);
    expect(res.aborted).toBe(false);
    expect(res.waitedMs).toBeGreaterThanOrEqual(290);
  });

  it('is bounded: names the services still unhealthy at the deadline', async () => {
    const res = await awaitHealthy(fakeDriver({ 'api-2': 60_000 }), ['api-1', 'api-2'], { timeoutMs: 150, pollMs: 20 });
    expect(res).toEqual({ unhealthy: ['api-2'], aborted: false });
  });

  it('a second Ctrl-C (abort) ends the wait at once', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const started = Date.now();
    const res = await awaitHealthy(fakeDriver({ 'api-2': 60_000 }), ['api-2'], { timeoutMs: 60_000, pollMs: 10_000, signal: ctl.signal });
    expect(res).toEqual({ unhealthy: ['api-2'], aborted: true });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a heal that fails is reported, the others still happen', async () => {
    const driver = fakeDriver({}, 'bandwidth');
    const res = await healAndAwaitHealthy(
      driver,
      [
        { kind: 'bandwidth', service: 'redis', rate: '1mbit' },
        { kind: 'loss', service: 'redis', percent: 5 },
      ],
      [],
      { pollMs: 10 },
    );
    expect(driver.healed).toEqual(['loss redis']);
    expect(res.failed).toEqual([{ fault: { kind: 'bandwidth', service: 'redis', rate: '1mbit' }, error: 'tc: no such device' }]);
  });
});
