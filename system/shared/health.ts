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

  /**
   * A failure seen by the service itself (its breaker opened, its connection dropped): down now, not at the
   * next probe up to `intervalMs` later. A dependency gone for less than that used to leave no trace in the
   * health endpoints or the `eventflow_dependency_up` gauge. The next probe says when it is back.
   */
  markDown(dep: Dependency, error: string): void {
    if (!(dep in this.probes)) return;
    this.last.set(dep, { up: false, latencyMs: 0, error });
    this.metrics.setUp(dep, false);
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
