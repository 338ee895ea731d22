/**
 * The Testcontainers runtime: creates the stack's network (labelled), then
 * starts every service of the topology as soon as the services it depends on
 * are healthy (independent services in parallel), waiting on the Docker health
 * checks of the topology, which work for the official and the offline images.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { GenericContainer, type WaitStrategy } from 'testcontainers';
import { InfrastructureError } from '../errors.js';
import { ensureAppImage } from './app-image.js';
import { findServiceContainer, listStackNetworks, tailLogs } from './containers.js';
import { isNotModified } from './docker.js';
import { packageRoot } from '../package.js';
import {
  LABEL_IMAGE_SET,
  LABEL_NODES,
  LABEL_STACK,
  containerName,
  networkName,
  stackLabels,
  type ServiceSpec,
  type Topology,
} from './topology.js';
import type { ProgressEvent } from './types.js';

export const STARTUP_TIMEOUT_MS = Number(process.env.EVENTFLOW_STARTUP_TIMEOUT_MS ?? 180_000);

export type Emit = (e: Omit<ProgressEvent, 'elapsedMs'>) => void;

/** A GenericContainer on the stack network with its alias, ports published on 127.0.0.1 only. */
class StackContainer extends GenericContainer {
  constructor(
    image: string,
    private readonly network: string,
    private readonly alias: string,
  ) {
    super(image);
  }

  finish(): this {
    const bindings = this.hostConfig.PortBindings as Record<string, { HostIp?: string; HostPort: string }[]> | undefined;
    for (const key of Object.keys(bindings ?? {})) bindings![key] = [{ HostIp: '127.0.0.1', HostPort: '0' }];
    this.hostConfig.RestartPolicy = { Name: 'no' };
    // Aliases at create time on our own network only (Testcontainers would attach the default bridge too).
    this.withNetworkMode(this.network);
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [this.network]: { Aliases: [this.alias] } } };
    return this;
  }
}

/** Waits for the Docker health check; fails fast when the container exits, with its last log lines. */
export class HealthyWait implements WaitStrategy {
  private timeoutMs = STARTUP_TIMEOUT_MS;
  constructor(
    private readonly docker: Dockerode,
    private readonly onWaiting: () => void = () => {},
    private readonly readyLog?: string,
  ) {}
  withStartupTimeout(ms: number): this {
    this.timeoutMs = ms;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return true;
  }
  getStartupTimeout(): number {
    return this.timeoutMs;
  }
  async waitUntilReady(container: Dockerode.Container): Promise<void> {
    this.onWaiting();
    await waitForHealthy(this.docker, container.id, this.timeoutMs, { failOnUnhealthy: true, readyLog: this.readyLog });
  }
}

/**
 * Run the container's own health check command once, now (docker exec), instead of
 * waiting for Docker's next interval. Same command, same timeout: used while Docker
 * still says "starting" (or a stale "unhealthy" after a fault). Never throws.
 */
export async function probeNow(docker: Dockerode, id: string, info?: Dockerode.ContainerInspectInfo): Promise<boolean> {
  try {
    const inspect = info ?? (await docker.getContainer(id).inspect());
    const test = (inspect.Config as { Healthcheck?: { Test?: string[]; Timeout?: number } }).Healthcheck?.Test;
    if (!test || test.length < 2 || test[0] === 'NONE') return inspect.State.Running;
    const cmd = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test[1]!] : test.slice(1);
    const timeoutMs = Math.max(1000, ((inspect.Config as { Healthcheck?: { Timeout?: number } }).Healthcheck?.Timeout ?? 5e9) / 1e6);
    const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    stream.resume();
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      new Promise<boolean>((resolve) => {
        stream.once('end', () => resolve(true));
        stream.once('close', () => resolve(true));
        stream.once('error', () => resolve(false));
      }),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    stream.destroy();
    if (!ended) return false;
    const result = await exec.inspect();
    return result.ExitCode === 0;
  } catch {
    return false;
  }
}

/**
 * Healthy = Docker reports healthy, or, while Docker has no fresh verdict yet
 * ("starting", or a stale "unhealthy" after a pause/cut), the health check
 * command passes when run right now.
 */
export async function healthyNow(docker: Dockerode, info: Dockerode.ContainerInspectInfo): Promise<boolean> {
  const st = info.State;
  if (!st.Running || st.Paused || st.Restarting) return false;
  const health = st.Health?.Status;
  if (health === undefined || health === 'none' || health === 'healthy') return true;
  return probeNow(docker, info.Id, info);
}

/**
 * Wait until the container is healthy: Docker's verdict, or the same health check
 * run by us (docker exec) so start-up does not wait for Docker's interval. With a
 * `readyLog` hint the check runs as soon as that line appears (then every 250 ms),
 * and only every 2 s before it (exec costs CPU that booting services need).
 * `failOnUnhealthy`: a fresh container that turns unhealthy has failed; after a
 * fault the status is stale "unhealthy" until a probe passes, so keep waiting.
 */
export async function waitForHealthy(
  docker: Dockerode,
  id: string,
  timeoutMs: number,
  opts: { failOnUnhealthy?: boolean; readyLog?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let nextProbe = 0;
  let sawReady = false;
  let wake: (() => void) | undefined;
  const nap = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  let logStream: NodeJS.ReadableStream | undefined;
  if (opts.readyLog) {
    const needle = opts.readyLog;
    try {
      logStream = (await docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true })) as unknown as NodeJS.ReadableStream;
      logStream.on('data', (chunk: Buffer) => {
        if (!sawReady && chunk.toString('utf8').includes(needle)) {
          sawReady = true;
          nextProbe = 0;
          wake?.();
        }
      });
      logStream.on('error', () => {});
    } catch {
      logStream = undefined;
    }
  }
  const every = (): number => (!opts.readyLog || !logStream ? 500 : sawReady ? 250 : 2000);
  try {
    for (;;) {
      const info = await docker.getContainer(id).inspect();
      const state = info.State;
      if (!state.Running || state.Restarting) {
        if (state.Status === 'created' && Date.now() < deadline) {
          await nap(200);
          continue;
        }
        const logs = await tailLogs(docker, id, 25);
        throw new Error(`container exited (code ${state.ExitCode})${logs ? `; last output:\n${indent(logs)}` : ''}`);
      }
      const health = state.Health?.Status;
      if (!state.Paused && (health === 'healthy' || health === undefined || health === 'none')) return;
      if (health === 'unhealthy' && opts.failOnUnhealthy) {
        const probe = state.Health?.Log?.at(-1)?.Output?.trim();
        const logs = await tailLogs(docker, id, 25);
        throw new Error(`health check failed${probe ? ` (${probe})` : ''}${logs ? `; last output:\n${indent(logs)}` : ''}`);
      }
      if (Date.now() > deadline) {
        const logs = await tailLogs(docker, id, 25);
        throw new Error(`not healthy after ${Math.round(timeoutMs / 1000)} s${logs ? `; last output:\n${indent(logs)}` : ''}`);
      }
      if (!state.Paused && Date.now() >= nextProbe) {
        if (await probeNow(docker, id, info)) return;
        nextProbe = Date.now() + every();
      }
      await nap(state.Paused ? 500 : 300);
    }
  } finally {
    (logStream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function ensureNetwork(docker: Dockerode, topo: Topology): Promise<string> {
  const existing = await listStackNetworks(docker, topo.stackId);
  if (existing[0]) return existing[0].Name;
  const name = networkName(topo.stackId);
  try {
    await docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Labels: { ...stackLabels(topo.stackId), [LABEL_IMAGE_SET]: topo.imageSet, [LABEL_NODES]: String(topo.nodes) },
    });
  } catch (error) {
    throw new InfrastructureError(`cannot create the stack network ${name}: ${(error as Error).message}`);
  }
  return name;
}

/** Pull (official set) or check (offline set) every non-app image up front, with a clear error. */
export async function ensureImages(docker: Dockerode, topo: Topology, emit: Emit): Promise<void> {
  const images = [...new Set(topo.services.filter((s) => s.role !== 'app').map((s) => s.image))];
  const missing: string[] = [];
  await Promise.all(
    images.map(async (image) => {
      try {
        await docker.getImage(image).inspect();
      } catch {
        missing.push(image);
      }
    }),
  );
  if (missing.length === 0) return;
  if (topo.imageSet === 'offline') {
    throw new InfrastructureError(
      `the offline image set is incomplete (missing ${missing.join(', ')}).`,
      'Build it from Debian packages: `npm run images:offline` (rebuilds only what changed).',
    );
  }
  for (const image of missing) {
    emit({ service: 'stack', phase: 'info', detail: `pulling ${image}` });
    try {
      const stream = await docker.pull(image);
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    } catch (error) {
      throw new InfrastructureError(
        `cannot pull ${image}: ${(error as Error).message.split('\n')[0]}.`,
        'No image registry reachable? Use the images built from Debian packages: `npm run images:offline` then `eventflow up --images offline` (or EVENTFLOW_IMAGES=offline).',
      );
    }
  }
}

/** Create + start one service through Testcontainers and wait until it is healthy. */
async function createService(docker: Dockerode, topo: Topology, network: string, spec: ServiceSpec, emit: Emit, order: number): Promise<void> {
  const root = packageRoot();
  const c = new StackContainer(spec.image, network, spec.alias)
    .withName(containerName(topo.stackId, spec.name))
    .withLabels({ ...stackLabels(topo.stackId, spec), 'eventflow.order': String(order), [LABEL_IMAGE_SET]: topo.imageSet })
    .withEnvironment(spec.env)
    .withAutoCleanup(false)
    .withHealthCheck({
      test: spec.healthCheck.test,
      interval: spec.healthCheck.intervalMs,
      timeout: spec.healthCheck.timeoutMs,
      retries: spec.healthCheck.retries,
      startPeriod: spec.healthCheck.startPeriodMs,
    })
    .withWaitStrategy(new HealthyWait(docker, () => emit({ service: spec.name, phase: 'waiting', detail: 'health check' }), spec.readyLog))
    .withStartupTimeout(STARTUP_TIMEOUT_MS);
  if (spec.entrypoint) c.withEntrypoint(spec.entrypoint);
  if (spec.command) c.withCommand(spec.command);
  if (spec.published.length > 0) c.withExposedPorts(...spec.published.map((p) => p.container));
  for (const f of spec.files) {
    if (f.kind === 'content') {
      c.withCopyContentToContainer([{ content: f.content, target: f.target, mode: 0o644 }]);
    } else {
      const src = join(root, f.source);
      if (!existsSync(src)) {
        if (!f.optional) throw new InfrastructureError(`${f.source} is missing (needed by ${spec.name}).`);
        emit({ service: spec.name, phase: 'info', detail: `${f.source} not found: not copied` });
        continue;
      }
      c.withCopyDirectoriesToContainer([{ source: src, target: f.target }]);
    }
  }
  c.finish();
  emit({ service: spec.name, phase: 'starting', detail: spec.image });
  await c.start();
}

/** Bring an existing container back to running (unpause/start/reconnect) and wait until healthy. */
async function reviveService(docker: Dockerode, network: string, spec: ServiceSpec, id: string, emit: Emit): Promise<void> {
  const container = docker.getContainer(id);
  const info = await container.inspect();
  if (!info.NetworkSettings.Networks?.[network]) {
    emit({ service: spec.name, phase: 'starting', detail: 'reconnecting to the stack network' });
    await docker.getNetwork(network).connect({ Container: id, EndpointConfig: { Aliases: [spec.alias] } });
  }
  if (info.State.Paused) {
    emit({ service: spec.name, phase: 'starting', detail: 'unpausing' });
    await container.unpause().catch((e: unknown) => { if (!isNotModified(e)) throw e; });
  } else if (!info.State.Running) {
    emit({ service: spec.name, phase: 'starting', detail: 'starting the existing container' });
    await container.start().catch((e: unknown) => { if (!isNotModified(e)) throw e; });
  }
  emit({ service: spec.name, phase: 'waiting', detail: 'health check' });
  await waitForHealthy(docker, id, STARTUP_TIMEOUT_MS);
}

/**
 * Converge the stack to the topology: create what is missing, revive what is
 * stopped or paused, in dependency order. Throws InfrastructureError naming the
 * first service that failed and why.
 */
export async function runTopology(docker: Dockerode, topo: Topology, emit: Emit): Promise<{ created: number; revived: number }> {
  for (const s of topo.services) emit({ service: s.name, phase: 'pending', detail: s.dependsOn.length ? `after ${s.dependsOn.join(', ')}` : undefined });
  for (const s of topo.skipped) emit({ service: s.name, phase: 'skipped', detail: s.reason });

  await ensureImages(docker, topo, emit);
  if (topo.services.some((s) => s.role === 'app')) {
    emit({ service: 'app-image', phase: 'building', detail: 'checking inputs' });
    const app = await ensureAppImage(docker, topo.imageSet, (line) => emit({ service: 'app-image', phase: 'building', detail: line }));
    emit({ service: 'app-image', phase: 'healthy', detail: app.built ? `built ${app.image}` : `${app.image} up to date` });
  }
  const network = await ensureNetwork(docker, topo);

  let created = 0;
  let revived = 0;
  const done = new Map<string, Promise<void>>();
  topo.services.forEach((spec, order) => {
    const deps = spec.dependsOn.map((d) => done.get(d)).filter((p): p is Promise<void> => p !== undefined);
    done.set(
      spec.name,
      (async () => {
        try {
          await Promise.all(deps);
        } catch {
          throw new DependencyFailed();
        }
        try {
          const existing = await findServiceContainer(docker, topo.stackId, spec.name);
          if (existing) {
            await reviveService(docker, network, spec, existing.Id, emit);
            revived++;
          } else {
            await createService(docker, topo, network, spec, emit, order);
            created++;
          }
          emit({ service: spec.name, phase: 'healthy' });
        } catch (error) {
          const message = (error as Error).message;
          emit({ service: spec.name, phase: 'failed', detail: message.split('\n')[0] });
          throw new ServiceFailed(spec.name, message);
        }
      })(),
    );
  });
  const results = await Promise.allSettled(done.values());
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && r.reason instanceof ServiceFailed);
  if (failure) {
    const f = failure.reason as ServiceFailed;
    throw new InfrastructureError(`service ${f.service} did not start: ${f.detail}`, `Inspect with \`eventflow logs ${f.service}\`, remove the partial stack with \`eventflow down\`.`);
  }
  const other = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (other) throw other.reason;
  return { created, revived };
}

class DependencyFailed extends Error {}
class ServiceFailed extends Error {
  constructor(
    readonly service: string,
    readonly detail: string,
  ) {
    super(`${service}: ${detail}`);
  }
}

/** Stack labels on the network tell another process which topology parameters were used. */
export function networkLabels(net: Dockerode.NetworkInspectInfo): { stackId?: string; imageSet?: string; nodes?: number } {
  const l = net.Labels ?? {};
  return { stackId: l[LABEL_STACK], imageSet: l[LABEL_IMAGE_SET], nodes: l[LABEL_NODES] ? Number(l[LABEL_NODES]) : undefined };
}
