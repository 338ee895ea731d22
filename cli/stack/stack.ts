/**
 * The stack API the CLI and the scenario engine code against:
 *   startStack  – bring the whole stack up (or return it when it is already up)
 *   openStack   – attach to a running stack from another process (by label)
 *   stopStack   – remove containers, network, volumes and the stack record (idempotent)
 */
import type Dockerode from 'dockerode';
import { InfrastructureError } from '../errors.js';
import { generateCredentials } from './credentials.js';
import { connectDocker } from './docker.js';
import { DockerFaultDriver } from './faults.js';
import { imageFor, resolveImageSet, type ImageSetName } from './images.js';
import { listStackContainers, listStackNetworks, listStackVolumes, networkLabels } from './containers.js';
import { connectionUrls, type ConnectionUrls } from './addresses.js';
import { healthyNow } from './health.js';
import type { Emit } from './runtime.js';
import { readStackRecord, removeStackRecord, writeStackRecord, type StackRecord } from './stack-record.js';
import {
  DEFAULT_NODES,
  LABEL_GROUP,
  LABEL_IMAGE_SET,
  LABEL_SERVICE,
  buildTopology,
  containerName,
  networkName,
  resolveStackId,
  type EndpointName,
  type Topology,
} from './topology.js';
import type { ProgressEvent, ServiceGroup, ServiceInfo, StackCredentials, StackEndpoints, StackHandle } from './types.js';

export interface StartStackOptions {
  stackId?: string;
  nodes?: number;
  imageSet?: ImageSetName;
  onProgress?: (e: ProgressEvent) => void;
}

/** Endpoints reached with a connection URL (credentials inside) rather than plain HTTP. */
function isConnectionEndpoint(endpoint: EndpointName): endpoint is EndpointName & keyof ConnectionUrls {
  return endpoint === 'postgres' || endpoint === 'redis' || endpoint === 'amqp';
}

/** A running stack on a Docker engine. */
export class DockerStack implements StackHandle {
  readonly faults: DockerFaultDriver;
  readonly id: string;
  readonly credentials: StackCredentials;
  readonly imageSet: ImageSetName;
  readonly skipped: { name: string; reason: string }[];

  constructor(
    private readonly docker: Dockerode,
    readonly topology: Topology,
    readonly network: string,
    readonly alreadyUp: boolean,
    credentials: StackCredentials,
  ) {
    this.id = topology.stackId;
    this.imageSet = topology.imageSet;
    this.skipped = topology.skipped;
    this.credentials = credentials;
    const aliases = Object.fromEntries(topology.services.map((s) => [s.name, s.alias]));
    this.faults = new DockerFaultDriver(docker, this.id, network, aliases, this.serviceNames());
  }

  serviceNames(): string[] {
    return this.topology.services.map((s) => s.name);
  }

  servicesInGroup(group: ServiceGroup): string[] {
    return this.topology.services.filter((s) => s.group === group).map((s) => s.name);
  }

  /** Host port (127.0.0.1) currently mapped to `containerPort` of `service`, if it runs. */
  async hostPort(service: string, containerPort: number): Promise<number | undefined> {
    const list = await listStackContainers(this.docker, this.id);
    const c = list.find((x) => x.Labels?.[LABEL_SERVICE] === service);
    if (!c) return undefined;
    const info = await this.docker.getContainer(c.Id).inspect();
    const binding = info.NetworkSettings.Ports?.[`${containerPort}/tcp`]?.find((b) => b.HostIp === '127.0.0.1' || b.HostIp === '0.0.0.0' || b.HostIp === '');
    return binding ? Number(binding.HostPort) : undefined;
  }

  /**
   * `ip:port` of a service on the stack's own bridge network, as this machine reaches it (the
   * metrics sampler reads unpublished /metrics ports this way); undefined when it does not run.
   */
  async serviceAddress(service: string, port: number): Promise<string | undefined> {
    const id = await this.containerId(service);
    if (!id) return undefined;
    const info = await this.docker.getContainer(id).inspect();
    const ip = info.NetworkSettings.Networks?.[this.network]?.IPAddress;
    return ip ? `${ip}:${port}` : undefined;
  }

  /** Host URLs by endpoint name (only endpoints whose container runs). */
  async endpointMap(): Promise<Partial<Record<EndpointName, string>>> {
    const list = await listStackContainers(this.docker, this.id);
    const out: Partial<Record<EndpointName, string>> = {};
    const c = this.credentials;
    await Promise.all(
      this.topology.services
        .filter((s) => s.published.length > 0)
        .map(async (s) => {
          const ci = list.find((x) => x.Labels?.[LABEL_SERVICE] === s.name);
          if (!ci) return;
          const info = await this.docker.getContainer(ci.Id).inspect();
          for (const p of s.published) {
            const port = info.NetworkSettings.Ports?.[`${p.container}/tcp`]?.[0]?.HostPort;
            if (!port) continue;
            const host = `127.0.0.1:${port}`;
            out[p.endpoint] = isConnectionEndpoint(p.endpoint) ? connectionUrls(c, { [p.endpoint]: host })[p.endpoint] : `http://${host}`;
          }
        }),
    );
    return out;
  }

  /** Current endpoints; an endpoint whose container is stopped is the empty string. */
  async endpoints(): Promise<StackEndpoints> {
    const m = await this.endpointMap();
    return {
      gateway: m.gateway ?? '',
      rabbitmqManagement: m.rabbitmqManagement ?? '',
      prometheus: m.prometheus ?? '',
      ...(this.topology.services.some((s) => s.name === 'grafana') ? { grafana: m.grafana ?? '' } : {}),
      postgresUrl: m.postgres ?? '',
      redisUrl: m.redis ?? '',
      amqpUrl: m.amqp ?? '',
    };
  }

  async services(): Promise<(ServiceInfo & { health: string; containerId?: string; connected: boolean })[]> {
    const list = await listStackContainers(this.docker, this.id);
    return Promise.all(
      this.topology.services.map(async (s) => {
        const ci = list.find((x) => x.Labels?.[LABEL_SERVICE] === s.name);
        if (!ci) return { name: s.name, group: s.group, state: 'missing' as const, healthy: false, health: 'missing', connected: false };
        const info = await this.docker.getContainer(ci.Id).inspect();
        const st = info.State;
        const state: ServiceInfo['state'] = st.Paused ? 'paused' : st.Running ? 'running' : 'exited';
        const healthy = await healthyNow(this.docker, info, this.faults.recentProbes);
        // Docker's verdict lags its interval: report what the check says now.
        const health = healthy && st.Health ? 'healthy' : (st.Health?.Status ?? (st.Running ? 'running' : 'none'));
        return {
          name: s.name,
          group: (ci.Labels?.[LABEL_GROUP] as ServiceGroup) ?? s.group,
          state,
          healthy,
          health,
          containerId: ci.Id,
          connected: Boolean(info.NetworkSettings.Networks?.[this.network]),
        };
      }),
    );
  }

  async containerId(service: string): Promise<string | undefined> {
    const list = await listStackContainers(this.docker, this.id);
    return list.find((x) => x.Labels?.[LABEL_SERVICE] === service)?.Id;
  }

  get dockerode(): Dockerode {
    return this.docker;
  }
}

function recordOf(topo: Topology, network: string, credentials: StackCredentials, createdAt = new Date().toISOString()): StackRecord {
  return {
    version: 1,
    id: topo.stackId,
    imageSet: topo.imageSet,
    nodes: topo.nodes,
    network,
    createdAt,
    credentials,
    services: topo.services.map((s) => ({ name: s.name, group: s.group, container: containerName(topo.stackId, s.name), alias: s.alias })),
    skipped: topo.skipped,
  };
}

/** Rebuild what we need from the containers themselves (stack record lost, other machine user…). */
async function recordFromContainers(docker: Dockerode, id: string, containers: Dockerode.ContainerInfo[]): Promise<StackRecord> {
  const env = async (service: string): Promise<Record<string, string>> => {
    const c = containers.find((x) => x.Labels?.[LABEL_SERVICE] === service);
    if (!c) return {};
    const info = await docker.getContainer(c.Id).inspect();
    return Object.fromEntries((info.Config.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  };
  const [pg, mq, rd, gf] = await Promise.all([env('postgres'), env('rabbitmq'), env('redis'), env('grafana')]);
  const credentials: StackCredentials = {
    postgres: { user: pg.POSTGRES_USER ?? '', password: pg.POSTGRES_PASSWORD ?? '', database: pg.POSTGRES_DB ?? 'eventflow' },
    rabbitmq: { user: mq.RABBITMQ_DEFAULT_USER ?? '', password: mq.RABBITMQ_DEFAULT_PASS ?? '' },
    redis: { password: rd.REDIS_PASSWORD ?? '' },
    ...(gf.GF_SECURITY_ADMIN_USER ? { grafana: { user: gf.GF_SECURITY_ADMIN_USER, password: gf.GF_SECURITY_ADMIN_PASSWORD ?? '' } } : {}),
  };
  const nets = await listStackNetworks(docker, id);
  const fromNet = nets[0] ? networkLabels(nets[0]) : {};
  const imageSet = resolveImageSet(fromNet.imageSet ?? containers[0]?.Labels?.[LABEL_IMAGE_SET] ?? 'official');
  const nodes = fromNet.nodes ?? (containers.filter((c) => c.Labels?.[LABEL_GROUP] === 'api').length || DEFAULT_NODES);
  const topo = buildTopology({ stackId: id, nodes, imageSet, credentials });
  return recordOf(topo, nets[0]?.Name ?? networkName(id), credentials, new Date((containers[0]?.Created ?? 0) * 1000).toISOString());
}

async function loadStack(docker: Dockerode, id: string, alreadyUp: boolean): Promise<DockerStack | undefined> {
  const containers = await listStackContainers(docker, id);
  if (containers.length === 0) return undefined;
  let record = readStackRecord(id);
  if (!record) {
    record = await recordFromContainers(docker, id, containers);
    writeStackRecord(record);
  }
  const topo = buildTopology({ stackId: id, nodes: record.nodes, imageSet: record.imageSet, credentials: record.credentials });
  return new DockerStack(docker, topo, record.network, alreadyUp, record.credentials);
}

export async function openStack(stackId?: string): Promise<StackHandle | undefined> {
  const id = resolveStackId(stackId);
  const { docker } = await connectDocker();
  return loadStack(docker, id, true);
}

/** Like openStack but typed as the Docker implementation (status/logs need its extras). */
export async function openDockerStack(stackId?: string): Promise<DockerStack | undefined> {
  const id = resolveStackId(stackId);
  const { docker } = await connectDocker();
  return loadStack(docker, id, true);
}

/**
 * The Testcontainers runtime (half a second of CPU to import): loaded only to start containers, never by
 * status, logs, down, or a scenario on a stack that is already up.
 */
const loadRuntime = () => import('./runtime.js');

export async function startStack(opts: StartStackOptions = {}): Promise<StackHandle> {
  const t0 = Date.now();
  const emit: Emit = (e) => opts.onProgress?.({ ...e, elapsedMs: Date.now() - t0 });
  const id = resolveStackId(opts.stackId);
  const connection = await connectDocker();
  const { docker } = connection;
  const existing = await loadStack(docker, id, false);
  if (existing) {
    if (opts.imageSet && opts.imageSet !== existing.imageSet) {
      emit({ service: 'stack', phase: 'info', detail: `stack "${id}" runs the ${existing.imageSet} image set; --images ${opts.imageSet} ignored (eventflow down first to switch)` });
    }
    if (opts.nodes !== undefined && opts.nodes !== existing.topology.nodes) {
      emit({ service: 'stack', phase: 'info', detail: `stack "${id}" runs ${existing.topology.nodes} api node(s); --nodes ${opts.nodes} ignored (eventflow down first to change it)` });
    }
    const infos = await existing.services();
    if (infos.every((s) => s.healthy && s.connected)) {
      for (const s of infos) emit({ service: s.name, phase: 'healthy', detail: 'already up' });
      emit({ service: 'stack', phase: 'info', detail: `stack "${id}" is already up: nothing to do` });
      return new DockerStack(docker, existing.topology, existing.network, true, existing.credentials);
    }
    const broken = infos.filter((s) => !s.healthy || !s.connected).map((s) => `${s.name} (${s.state}${s.connected ? '' : ', disconnected'})`);
    emit({ service: 'stack', phase: 'info', detail: `stack "${id}" exists; bringing back ${broken.join(', ')}` });
    await (await loadRuntime()).runTopology(connection, existing.topology, emit);
    return new DockerStack(docker, existing.topology, existing.network, false, existing.credentials);
  }

  // A network left without containers (interrupted start): start clean.
  for (const n of await listStackNetworks(docker, id)) await docker.getNetwork(n.Id).remove().catch(() => {});

  const imageSet = opts.imageSet ?? resolveImageSet();
  const credentials = generateCredentials(imageFor(imageSet, 'grafana') !== undefined);
  const topo = buildTopology({ stackId: id, nodes: opts.nodes ?? DEFAULT_NODES, imageSet, credentials });
  const net = networkName(id);
  writeStackRecord(recordOf(topo, net, credentials));
  try {
    await (await loadRuntime()).runTopology(connection, topo, emit);
  } catch (error) {
    if (!process.env.EVENTFLOW_KEEP_ON_FAILURE) {
      emit({ service: 'stack', phase: 'info', detail: 'removing the partial stack (set EVENTFLOW_KEEP_ON_FAILURE=1 to keep it for inspection)' });
      await stopStack(id).catch(() => {});
    }
    throw error;
  }
  return new DockerStack(docker, topo, net, false, credentials);
}

export async function stopStack(stackId?: string): Promise<{ removed: number }> {
  const id = resolveStackId(stackId);
  const { docker } = await connectDocker();
  let removed = 0;
  const containers = await listStackContainers(docker, id);
  await Promise.all(
    containers.map(async (c) => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
        removed++;
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw new InfrastructureError(`cannot remove container ${c.Names?.[0] ?? c.Id}: ${(error as Error).message}`);
      }
    }),
  );
  for (const n of await listStackNetworks(docker, id)) {
    try {
      await docker.getNetwork(n.Id).remove();
      removed++;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw new InfrastructureError(`cannot remove network ${n.Name}: ${(error as Error).message}`);
    }
  }
  for (const v of await listStackVolumes(docker, id)) {
    await docker.getVolume(v.Name).remove().catch(() => {});
    removed++;
  }
  removeStackRecord(id);
  return { removed };
}
