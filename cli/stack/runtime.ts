/**
 * The Testcontainers runtime: creates the stack's network (labelled), then
 * starts every service of the topology as soon as the services it depends on
 * are healthy (independent services in parallel), waiting on the Docker health
 * checks of the topology, which work for the official and the offline images.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import type { ContainerCreateOptions, HostConfig } from 'dockerode';
import { GenericContainer, getContainerRuntimeClient, type WaitStrategy } from 'testcontainers';
import { InfrastructureError } from '../errors.js';
import { packageRoot } from '../package.js';
import { ensureAppImage } from './app-image.js';
import { findServiceContainer, listStackNetworks } from './containers.js';
import { isNotModified, noDockerParagraph, type DockerConnection } from './docker.js';
import { waitForHealthy } from './health.js';
import {
  LABEL_IMAGE_SET,
  LABEL_NODES,
  containerName,
  networkName,
  stackLabels,
  type ServiceSpec,
  type Topology,
} from './topology.js';
import type { ProgressEvent } from './types.js';

export const STARTUP_TIMEOUT_MS = Number(process.env.EVENTFLOW_STARTUP_TIMEOUT_MS ?? 180_000);

export type Emit = (e: Omit<ProgressEvent, 'elapsedMs'>) => void;

/**
 * A GenericContainer on the stack network only, reachable there by its alias, its
 * ports published on 127.0.0.1 only. Everything else goes through the public builder.
 */
class StackContainer extends GenericContainer {
  constructor(
    image: string,
    private readonly network: string,
    private readonly alias: string,
    private readonly cpuShares: number | undefined,
  ) {
    super(image);
    this.withNetworkMode(network);
  }

  /** Testcontainers' hook, run by start() just before the container is created. */
  protected override async beforeContainerCreated(): Promise<void> {
    setCreateOptionsWithoutPublicApi(this.hostConfig, this.createOpts, this.network, this.alias, this.cpuShares);
  }
}

/**
 * The one place that edits Testcontainers' protected create options, for what its public
 * API (testcontainers 12.2) cannot say; an upgrade that changes them breaks only this:
 *  - a host IP for published ports: `withExposedPorts` takes `{ container, host }` but no
 *    host IP, and binds every interface; we publish on 127.0.0.1 only;
 *  - a network alias given at create time: `withNetworkAliases` makes Testcontainers create
 *    the container on the default bridge and connect it to our network afterwards, so it
 *    would sit on both; we want it on the stack network alone;
 *  - a CPU weight (`CpuShares`): `withResourcesQuota` sets a CPU limit, not a weight.
 */
function setCreateOptionsWithoutPublicApi(hostConfig: HostConfig, createOpts: ContainerCreateOptions, network: string, alias: string, cpuShares: number | undefined): void {
  if (cpuShares !== undefined) hostConfig.CpuShares = cpuShares;
  for (const key of Object.keys(hostConfig.PortBindings ?? {})) {
    (hostConfig.PortBindings as Record<string, { HostIp: string; HostPort: string }[]>)[key] = [{ HostIp: '127.0.0.1', HostPort: '0' }];
  }
  createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [alias] } } };
}

/** Testcontainers finds the engine on its own: make sure it finds the one we probed, before creating anything. */
async function checkTestcontainersReaches(connection: DockerConnection): Promise<void> {
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    throw new InfrastructureError(noDockerParagraph(connection.how, `Testcontainers could not use it: ${(error as Error).message}`));
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
  const c = new StackContainer(spec.image, network, spec.alias, spec.cpuShares)
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
export async function runTopology(connection: DockerConnection, topo: Topology, emit: Emit): Promise<{ created: number; revived: number }> {
  const { docker } = connection;
  await checkTestcontainersReaches(connection);
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
