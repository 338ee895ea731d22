/**
 * Is a service healthy, now? Docker's health verdict, or the same health check run by us
 * (docker exec) when Docker has no fresh verdict yet: `eventflow up`, `status` and the
 * fault driver all ask here. Plain Docker API: no Testcontainers.
 */
import type Dockerode from 'dockerode';
import { tailLogs } from './containers.js';
import type { RecentProbes } from './recent-probes.js';

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
 * command passes when run right now (or passed within the last second: `recent`).
 */
export async function healthyNow(docker: Dockerode, info: Dockerode.ContainerInspectInfo, recent?: RecentProbes): Promise<boolean> {
  const st = info.State;
  if (!st.Running || st.Paused || st.Restarting) return false;
  const health = st.Health?.Status;
  if (health === undefined || health === 'none' || health === 'healthy') return true;
  if (recent?.passedRecently(info)) return true;
  const began = recent?.begin();
  const ok = await probeNow(docker, info.Id, info);
  if (began) recent?.record(info, ok, began);
  return ok;
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
