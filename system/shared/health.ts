import type { Metrics, Dependency } from './metrics.js';

export interface DependencyHealth {
  up: boolean;
  latencyMs: number;
  error?: string;
}
export type Probe = () => Promise<DependencyHealth>;

/**
 * Probes each dependency in the background (every `intervalMs`, each probe
 * bounded by the probe itself) and keeps the last result, so health endpoints
 * answer instantly and the `eventflow_dependency_up` gauge stays current.
 */
export class HealthMonitor {
  private readonly last = new Map<Dependency, DependencyHealth>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly probes: Partial<Record<Dependency, Probe>>,
    private readonly metrics: Metrics,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    if (this.timer) return;
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  refresh(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      await Promise.all(
        Object.entries(this.probes).map(async ([dep, probe]) => {
          const result = await probe().catch((err: unknown) => ({ up: false, latencyMs: 0, error: String(err) }));
          this.last.set(dep as Dependency, result);
          this.metrics.setUp(dep as Dependency, result.up);
        }),
      );
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  snapshot(): Partial<Record<Dependency, DependencyHealth>> {
    const out: Partial<Record<Dependency, DependencyHealth>> = {};
    for (const dep of Object.keys(this.probes) as Dependency[]) out[dep] = this.last.get(dep) ?? { up: false, latencyMs: 0, error: 'not probed yet' };
    return out;
  }

  allUp(): boolean {
    return Object.values(this.snapshot()).every((d) => d.up);
  }
}
