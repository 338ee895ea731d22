/** Finding a stack's containers and network again, from any process, by label. */
import type Dockerode from 'dockerode';
import { LABEL_IMAGE_SET, LABEL_NODES, LABEL_SERVICE, LABEL_STACK } from './topology.js';

export async function listStackContainers(docker: Dockerode, stackId: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL_STACK}=${stackId}`] } });
}

export async function findServiceContainer(docker: Dockerode, stackId: string, service: string): Promise<Dockerode.ContainerInfo | undefined> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_STACK}=${stackId}`, `${LABEL_SERVICE}=${service}`] } });
  return list[0];
}

export async function listStackNetworks(docker: Dockerode, stackId: string): Promise<Dockerode.NetworkInspectInfo[]> {
  return docker.listNetworks({ filters: { label: [`${LABEL_STACK}=${stackId}`] } });
}

export async function listStackVolumes(docker: Dockerode, stackId: string): Promise<{ Name: string }[]> {
  const res = await docker.listVolumes({ filters: { label: [`${LABEL_STACK}=${stackId}`] } });
  return res.Volumes ?? [];
}

/** All stack ids that have at least one container or network on this engine. */
export async function listStackIds(docker: Dockerode): Promise<string[]> {
  const ids = new Set<string>();
  for (const c of await docker.listContainers({ all: true, filters: { label: [LABEL_STACK] } })) {
    const id = c.Labels?.[LABEL_STACK];
    if (id) ids.add(id);
  }
  for (const n of await docker.listNetworks({ filters: { label: [LABEL_STACK] } })) {
    const id = n.Labels?.[LABEL_STACK];
    if (id) ids.add(id);
  }
  return [...ids].sort();
}

/** Last lines of a container's output (stdout+stderr), demultiplexed. */
export async function tailLogs(docker: Dockerode, id: string, lines = 20): Promise<string> {
  try {
    const buf = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines, follow: false })) as unknown as Buffer;
    return demux(buf).trimEnd();
  } catch {
    return '';
  }
}

/** Docker's multiplexed log framing (8-byte headers) to plain text; passes TTY output through. */
export function demux(buf: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const type = buf[i]!;
    const size = buf.readUInt32BE(i + 4);
    if (type > 2 || buf[i + 1] !== 0 || buf[i + 2] !== 0 || buf[i + 3] !== 0) return buf.toString('utf8');
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString('utf8');
}

/** Stack labels on the network tell another process which topology parameters were used. */
export function networkLabels(net: Dockerode.NetworkInspectInfo): { stackId?: string; imageSet?: string; nodes?: number } {
  const l = net.Labels ?? {};
  return { stackId: l[LABEL_STACK], imageSet: l[LABEL_IMAGE_SET], nodes: l[LABEL_NODES] ? Number(l[LABEL_NODES]) : undefined };
}
