import { describe, expect, it } from 'vitest';
import { HealthMonitor } from './health.js';
import { createMetrics } from './metrics.js';

const upLine = (text: string, dep: string) => new RegExp(`^eventflow_dependency_up\\{dependency="${dep}",service="api",node="api-1"\\} (\\d)$`, 'm').exec(text)?.[1];

describe('HealthMonitor', () => {
  it('markDown: a failure the service saw is down at once in the snapshot and the gauge; the next probe brings it back', async () => {
    const metrics = createMetrics('api', 'api-1');
    const monitor = new HealthMonitor({ postgres: async () => ({ up: true, latencyMs: 1 }), redis: async () => ({ up: true, latencyMs: 1 }) }, metrics, 60_000);
    await monitor.refresh();
    expect(monitor.allUp()).toBe(true);
    expect(upLine(await metrics.registry.metrics(), 'postgres')).toBe('1');

    // between two probes (a minute apart here), the breaker opens
    monitor.markDown('postgres', 'circuit breaker open');
    expect(monitor.snapshot().postgres).toEqual({ up: false, latencyMs: 0, error: 'circuit breaker open' });
    expect(monitor.allUp()).toBe(false);
    expect(upLine(await metrics.registry.metrics(), 'postgres')).toBe('0');
    expect(monitor.snapshot().redis?.up).toBe(true);

    await monitor.refresh();
    expect(monitor.snapshot().postgres?.up).toBe(true);
    expect(upLine(await metrics.registry.metrics(), 'postgres')).toBe('1');
  });

  it('markDown of a dependency the service does not use changes nothing', async () => {
    const metrics = createMetrics('api', 'api-1');
    const monitor = new HealthMonitor({ postgres: async () => ({ up: true, latencyMs: 1 }) }, metrics, 60_000);
    await monitor.refresh();
    monitor.markDown('rabbitmq', 'connection lost');
    expect(Object.keys(monitor.snapshot())).toEqual(['postgres']);
    expect(monitor.allUp()).toBe(true);
  });
});
