/**
 * Fault handles on a running stack through the Docker engine (dockerode). The
 * same FaultDriver interface can be implemented for Kubernetes (delete pod,
 * scale to 0, NetworkPolicy…). Containers are found by label on every call, so
 * a driver made in one process works on a stack started by another.
 */
import type Dockerode from 'dockerode';
import { UsageError } from '../errors.js';
import { findServiceContainer } from './containers.js';
import { isNotModified } from './docker.js';
import type { FaultContext } from './faults/context.js';
import { preflightGrayFault } from './faults/preflight.js';
import { applyGrayFault, healGrayFault } from './faults/registry.js';
import { healthyNow, waitForHealthy } from './health.js';
import { RecentProbes } from './recent-probes.js';
import type { FaultDriver, GrayFault } from './types.js';

const SIGNALS = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGSTOP', 'SIGCONT']);

export class DockerFaultDriver implements FaultDriver {
  constructor(
    private readonly docker: Dockerode,
    private readonly stackId: string,
    private readonly network: string,
    /** service name → network alias (defaults to the name). */
    private readonly aliases: Record<string, string> = {},
    private readonly knownServices: string[] = [],
  ) {}

  /** Health checks that passed in the last second (recent-probes.ts): any fault forgets them all. */
  readonly recentProbes = new RecentProbes();

  /** A fault changes what a health check would say, of its service and of those that depend on it. */
  private async faulting<T>(action: () => Promise<T>): Promise<T> {
    this.recentProbes.forget();
    try {
      return await action();
    } finally {
      this.recentProbes.forget();
    }
  }

  private async container(service: string): Promise<Dockerode.Container> {
    const info = await findServiceContainer(this.docker, this.stackId, service);
    if (!info) {
      const hint = this.knownServices.length ? ` (services: ${this.knownServices.join(', ')})` : '';
      throw new UsageError(`no service "${service}" in stack ${this.stackId}${hint}`);
    }
    return this.docker.getContainer(info.Id);
  }

  kill(service: string, signal = 'SIGKILL'): Promise<void> {
    return this.faulting(async () => {
      const sig = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
      if (!SIGNALS.has(sig)) throw new UsageError(`unknown signal "${signal}" (use one of ${[...SIGNALS].join(', ')})`);
      const c = await this.container(service);
      try {
        await c.kill({ signal: sig });
      } catch (error) {
        // Killing a container that is not running is a no-op for us (idempotent faults).
        if (!isNotModified(error) && !/is not running/.test((error as Error).message)) throw error;
      }
    });
  }

  stop(service: string): Promise<void> {
    return this.faulting(async () => {
      const c = await this.container(service);
      await c.stop({ t: 10 }).catch((e: unknown) => {
        if (!isNotModified(e)) throw e;
      });
    });
  }

  start(service: string): Promise<void> {
    return this.faulting(async () => {
      const c = await this.container(service);
      const info = await c.inspect();
      if (info.State.Paused) {
        await c.unpause();
        return;
      }
      await c.start().catch((e: unknown) => {
        if (!isNotModified(e)) throw e;
      });
    });
  }

  restart(service: string): Promise<void> {
    return this.faulting(async () => {
      const c = await this.container(service);
      const info = await c.inspect();
      if (info.State.Paused) await c.unpause();
      await c.restart({ t: 10 });
    });
  }

  pause(service: string): Promise<void> {
    return this.faulting(async () => {
      const c = await this.container(service);
      const info = await c.inspect();
      if (info.State.Paused) return;
      await c.pause();
    });
  }

  unpause(service: string): Promise<void> {
    return this.faulting(async () => {
      const c = await this.container(service);
      const info = await c.inspect();
      if (!info.State.Paused) return;
      await c.unpause();
    });
  }

  disconnect(service: string): Promise<void> {
    return this.faulting(async () => {
      const c = await this.container(service);
      const info = await c.inspect();
      if (!info.NetworkSettings.Networks?.[this.network]) return;
      await this.docker.getNetwork(this.network).disconnect({ Container: c.id, Force: true });
    });
  }

  reconnect(service: string): Promise<void> {
    return this.faulting(async () => {
      const c = await this.container(service);
      const info = await c.inspect();
      if (info.NetworkSettings.Networks?.[this.network]) return;
      await this.docker.getNetwork(this.network).connect({ Container: c.id, EndpointConfig: { Aliases: [this.aliases[service] ?? service] } });
    });
  }

  async isHealthy(service: string): Promise<boolean> {
    const c = await this.container(service);
    return healthyNow(this.docker, await c.inspect(), this.recentProbes);
  }

  async waitHealthy(service: string, timeoutMs = 60_000): Promise<void> {
    const c = await this.container(service);
    await waitForHealthy(this.docker, c.id, timeoutMs);
  }

  /** Gray faults (loss, bandwidth, throttle, db-lock, proxy toxics): one module each under cli/stack/faults/. */
  degrade(fault: GrayFault): Promise<void> {
    return this.faulting(async () => {
      await applyGrayFault(this.faultContext(), fault);
    });
  }

  heal(fault: GrayFault): Promise<void> {
    return this.faulting(async () => {
      await healGrayFault(this.faultContext(), fault);
    });
  }

  async preflight(fault: GrayFault): Promise<void> {
    await preflightGrayFault(this.faultContext(), fault);
  }

  private faultContext(): FaultContext {
    return { docker: this.docker, network: this.network, inspect: async (service) => (await this.container(service)).inspect() };
  }

  /** Is the service attached to the stack network (false after disconnect)? */
  async isConnected(service: string): Promise<boolean> {
    const info = await (await this.container(service)).inspect();
    return Boolean(info.NetworkSettings.Networks?.[this.network]);
  }
}
