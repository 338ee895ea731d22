import { describe, expect, it } from 'vitest';
import type { GrayFault } from '../types.js';
import { parseRate } from './bandwidth.js';
import { checkGrayFault, describeGrayFault } from './registry.js';

describe('gray-fault parameters', () => {
  const bad: [GrayFault, RegExp][] = [
    [{ kind: 'loss', service: 'api-1', percent: 150 }, /loss percent must be in \(0, 100\], got 150/],
    [{ kind: 'loss', service: 'api-1', percent: 0 }, /got 0/],
    [{ kind: 'partition', service: 'api-2', peers: [] }, /at least one peer/],
    [{ kind: 'partition', service: 'api-2', peers: ['api-2'] }, /cut off from itself/],
    [{ kind: 'bandwidth', service: 'redis', rate: 'fast' }, /must look like 512kbit/],
    [{ kind: 'bandwidth', service: 'redis', rate: '1kbit' }, /at least 8kbit/],
    [{ kind: 'throttle', service: 'postgres', cpus: 0 }, /between 0.01 and 64/],
    [{ kind: 'db-lock', service: 'postgres', table: 'events; DROP TABLE orders', mode: 'EXCLUSIVE', durationMs: 1000 }, /plain lower-case identifier/],
    [{ kind: 'db-lock', service: 'postgres', table: 'events', mode: 'TOTAL' as 'EXCLUSIVE', durationMs: 1000 }, /mode must be one of/],
    [{ kind: 'db-lock', service: 'postgres', table: 'events', mode: 'EXCLUSIVE', durationMs: -5 }, /duration must be in/],
    [{ kind: 'latency', service: 'postgres', latencyMs: 100, jitterMs: 200 }, /jitter \(200 ms\) must not exceed latency/],
    [{ kind: 'timeout', service: 'redis', timeoutMs: -1 }, /timeout must be between/],
  ];
  it.each(bad)('refuses %j', (fault, message) => {
    expect(checkGrayFault(fault).join('; ')).toMatch(message);
  });

  it('accepts sane parameters', () => {
    const good: GrayFault[] = [
      { kind: 'loss', service: 'api-2', percent: 30, peer: 'postgres' },
      { kind: 'bandwidth', service: 'redis', rate: '512kbit' },
      { kind: 'partition', service: 'api-2', peers: ['postgres'], oneWay: true },
      { kind: 'throttle', service: 'postgres', cpus: 0.05 },
      { kind: 'db-lock', service: 'postgres', table: 'events', mode: 'ACCESS EXCLUSIVE', durationMs: 5000 },
      { kind: 'latency', service: 'postgres', latencyMs: 200, jitterMs: 50 },
      { kind: 'timeout', service: 'redis', timeoutMs: 0 },
      { kind: 'reset', service: 'rabbitmq' },
    ];
    for (const f of good) expect(checkGrayFault(f)).toEqual([]);
    expect(describeGrayFault(good[0]!)).toBe('loss 30% on api-2 (towards postgres)');
  });

  it('reads tc rates', () => {
    expect(parseRate('512kbit')).toBe(512_000);
    expect(parseRate('1.5mbit')).toBe(1_500_000);
    expect(parseRate('1MBIT')).toBe(1_000_000);
    expect(parseRate('1mb')).toBeUndefined();
  });
});
