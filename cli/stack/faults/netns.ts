/**
 * Running iptables / tc inside a service's network namespace: a short-lived
 * helper container joins the namespace (`--network container:<id>`) with
 * NET_ADMIN, runs one shell script and is removed. Nothing is installed in the
 * service's own image, and the host needs no iptables of its own.
 *
 * Helper image: EVENTFLOW_NETTOOLS_IMAGE, else the offline base image (Debian
 * with iproute2 + iptables, images/offline/build.sh) for offline stacks, else
 * nicolaka/netshoot (iptables, tc) for stacks of official images.
 */
import type Dockerode from 'dockerode';
import { InfrastructureError } from '../../errors.js';
import { demux } from '../containers.js';
import { isNotFound } from '../docker.js';
import { LABEL_IMAGE_SET, LABEL_STACK } from '../topology.js';

export const NETTOOLS_IMAGES: Record<string, string> = {
  offline: 'localhost/eventflow/base:latest',
  official: 'nicolaka/netshoot:v0.13',
};

/** Exit status the scripts use for "a tool is missing" (the shell's own for command not found). */
const MISSING_TOOL = 127;
const HELPER_TIMEOUT_MS = 30_000;

export function netToolsImage(imageSet: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return env.EVENTFLOW_NETTOOLS_IMAGE ?? NETTOOLS_IMAGES[imageSet ?? 'official'] ?? NETTOOLS_IMAGES.official!;
}

/** A shell prelude that exits 127 naming the first of `tools` missing from the helper image. */
export function requireTools(tools: string[]): string {
  return tools.map((t) => `command -v ${t} >/dev/null 2>&1 || { echo "missing tool: ${t}" >&2; exit ${MISSING_TOOL}; }`).join('\n');
}

export interface NetnsResult {
  exitCode: number;
  output: string;
}

/**
 * Run `script` (sh) in the network namespace of `target`. `what` names the fault
 * for error messages ("loss on api-2"). Throws InfrastructureError when the
 * helper cannot run or a tool is missing; other failures are returned.
 */
export async function runInNetns(docker: Dockerode, target: Dockerode.ContainerInspectInfo, script: string, what: string): Promise<NetnsResult> {
  if (!target.State.Running) throw new InfrastructureError(`cannot apply ${what}: its container is ${target.State.Status}`);
  const image = netToolsImage(target.Config.Labels?.[LABEL_IMAGE_SET]);
  let helper: Dockerode.Container;
  try {
    helper = await docker.createContainer({
      Image: image,
      Entrypoint: ['sh', '-c'],
      Cmd: [script],
      Labels: { [LABEL_STACK]: target.Config.Labels?.[LABEL_STACK] ?? '', 'eventflow.helper': 'netns' },
      HostConfig: { NetworkMode: `container:${target.Id}`, CapAdd: ['NET_ADMIN', 'NET_RAW'] },
    });
  } catch (e) {
    if (isNotFound(e)) {
      throw new InfrastructureError(
        `cannot apply ${what}: the network-tools image ${image} is not on this engine`,
        image.startsWith('localhost/eventflow/') ? 'build the offline images: bash images/offline/build.sh' : `docker pull ${image}, or set EVENTFLOW_NETTOOLS_IMAGE to an image with iptables and tc`,
      );
    }
    throw new InfrastructureError(`cannot apply ${what}: creating the helper container failed: ${(e as Error).message}`);
  }
  try {
    await helper.start();
    const exit = (await Promise.race([
      helper.wait(),
      new Promise((_, reject) => setTimeout(() => reject(new InfrastructureError(`cannot apply ${what}: the helper container took over ${HELPER_TIMEOUT_MS / 1000} s`)), HELPER_TIMEOUT_MS).unref()),
    ])) as { StatusCode: number };
    const logs = (await helper.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    const output = demux(logs).trim();
    if (exit.StatusCode === MISSING_TOOL) {
      throw new InfrastructureError(`cannot apply ${what}: ${output.split('\n').pop()} in ${image}`, 'set EVENTFLOW_NETTOOLS_IMAGE to an image that has iptables and tc (iproute2)');
    }
    return { exitCode: exit.StatusCode, output };
  } finally {
    await helper.remove({ force: true }).catch(() => undefined);
  }
}

/** Like runInNetns, but a non-zero exit is an InfrastructureError quoting the tool's words (e.g. a kernel without a module). */
export async function runInNetnsOrFail(docker: Dockerode, target: Dockerode.ContainerInspectInfo, script: string, what: string): Promise<string> {
  const res = await runInNetns(docker, target, script, what);
  if (res.exitCode !== 0) throw new InfrastructureError(`cannot apply ${what}: ${res.output || `exit ${res.exitCode}`}`);
  return res.output;
}
