/**
 * A small stack for the gray-fault tests, labelled like a real one so that the
 * DockerFaultDriver finds it: PostgreSQL, a `client` container (the offline base
 * image: psql, pg_isready, bash) and the fault proxy (the app image's `proxy`
 * role) in front of PostgreSQL. Everything carries the stack label; close()
 * removes it all.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { ensureAppImage } from '../../cli/stack/app-image.js';
import { DockerFaultDriver } from '../../cli/stack/faults.js';
import { execCollect } from '../../cli/stack/faults/exec.js';
import { imageFor, resolveImageSet } from '../../cli/stack/images.js';
import { LABEL_IMAGE_SET, LABEL_SERVICE, LABEL_STACK } from '../../cli/stack/topology.js';
import { until } from '../support/wait.js';

export const PG_USER = 'eventflow';
export const PG_DB = 'eventflow';
const PROXIED_PG_PORT = 15432;

export interface Rig {
  stackId: string;
  docker: Docker;
  faults: DockerFaultDriver;
  pgPassword: string;
  /** postgres://… on loopback, straight to PostgreSQL. */
  directUrl: string;
  /** postgres://… on loopback, through the fault proxy. */
  proxiedUrl: string;
  /** Run a bash script in the client container; returns exit code and output. */
  client(script: string, timeoutMs?: number): Promise<{ exitCode: number | null; output: string }>;
  close(): Promise<void>;
}

const hostPort = (info: Docker.ContainerInspectInfo, port: number): number => Number(info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0]?.HostPort);

export async function startRig(): Promise<Rig> {
  const docker = new Docker();
  const set = resolveImageSet();
  if (set !== 'offline') throw new Error('test/faults runs on the offline image set (the helper and client images come from images/offline)');
  const stackId = `faults-itest-${randomBytes(3).toString('hex')}`;
  const network = `eventflow-${stackId}`;
  const pgPassword = randomBytes(12).toString('hex');
  const labels = (service: string): Record<string, string> => ({ [LABEL_STACK]: stackId, [LABEL_SERVICE]: service, [LABEL_IMAGE_SET]: set });
  await docker.createNetwork({ Name: network, Labels: { [LABEL_STACK]: stackId } });

  const created: Docker.Container[] = [];
  const close = async (): Promise<void> => {
    await Promise.allSettled(created.map((c) => c.remove({ force: true })));
    const helpers = await docker.listContainers({ all: true, filters: { label: [`${LABEL_STACK}=${stackId}`] } });
    await Promise.allSettled(helpers.map((h) => docker.getContainer(h.Id).remove({ force: true })));
    await docker.getNetwork(network).remove().catch(() => undefined);
  };

  const run = async (service: string, opts: Docker.ContainerCreateOptions, publish: number[] = []): Promise<Docker.ContainerInspectInfo> => {
    const c = await docker.createContainer({
      name: `eventflow-${stackId}-${service}`,
      Labels: labels(service),
      ExposedPorts: Object.fromEntries(publish.map((p) => [`${p}/tcp`, {}])),
      ...opts,
      HostConfig: { NetworkMode: network, PortBindings: Object.fromEntries(publish.map((p) => [`${p}/tcp`, [{ HostIp: '127.0.0.1', HostPort: '' }]])) },
      NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [service] } } },
    });
    created.push(c);
    await c.start();
    return c.inspect();
  };

  try {
    const app = await ensureAppImage(docker, set);
    const pg = await run('postgres', { Image: imageFor(set, 'postgres')!, Env: [`POSTGRES_USER=${PG_USER}`, `POSTGRES_PASSWORD=${pgPassword}`, `POSTGRES_DB=${PG_DB}`] }, [5432]);
    const client = await run('client', { Image: 'localhost/eventflow/base:latest', Cmd: ['/usr/bin/tini', '--', 'sleep', 'infinity'], Env: [`PGPASSWORD=${pgPassword}`] });
    const proxy = await run(
      'proxy',
      { Image: app.image, Cmd: ['proxy'], Env: [`PROXY_CONFIG=${JSON.stringify([{ name: 'postgres', listen: `0.0.0.0:${PROXIED_PG_PORT}`, upstream: 'postgres:5432' }])}`] },
      [8474, PROXIED_PG_PORT],
    );
    const clientContainer = docker.getContainer(client.Id);
    const rig: Rig = {
      stackId,
      docker,
      faults: new DockerFaultDriver(docker, stackId, network, {}, ['postgres', 'client', 'proxy']),
      pgPassword,
      directUrl: `postgres://${PG_USER}:${pgPassword}@127.0.0.1:${hostPort(pg, 5432)}/${PG_DB}`,
      proxiedUrl: `postgres://${PG_USER}:${pgPassword}@127.0.0.1:${hostPort(proxy, PROXIED_PG_PORT)}/${PG_DB}`,
      client: (script, timeoutMs = 60_000) => execCollect(clientContainer, ['bash', '-c', script], { timeoutMs }),
      close,
    };
    await until('PostgreSQL to accept connections from the client container', async () => (await rig.client(`pg_isready -q -h postgres -U ${PG_USER}`, 5000)).exitCode === 0, 90_000, 500);
    await until('the fault proxy API', async () => (await fetch(`http://127.0.0.1:${hostPort(proxy, 8474)}/version`)).ok, 30_000, 200);
    return rig;
  } catch (e) {
    await close();
    throw e;
  }
}
