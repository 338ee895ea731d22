/**
 * Reaching the Docker engine. We honour DOCKER_HOST strictly (a dead DOCKER_HOST
 * is an error, not a silent fall-back to another socket) and turn "no engine"
 * into one clear paragraph with exit code 3.
 *
 * The Docker client is imported by the first probe, not by this module
 * (./dockerode-loader.ts): scenario validation and help, which import fault and
 * stack modules for their checks and names, never load it.
 */
import type Dockerode from 'dockerode';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfrastructureError } from '../errors.js';
import { loadDockerode } from './dockerode-loader.js';

export interface DockerConnection {
  docker: Dockerode;
  /** How the engine was reached, for humans (`DOCKER_HOST=…` or the socket path). */
  how: string;
  serverVersion: string;
  apiVersion: string;
}

/** The address we will try, in the order the docker CLI uses. */
export function dockerTarget(env: NodeJS.ProcessEnv = process.env): { how: string; socketPath?: string } {
  if (env.DOCKER_HOST) return { how: `DOCKER_HOST=${env.DOCKER_HOST}` };
  const candidates = ['/var/run/docker.sock', join(homedir(), '.docker', 'run', 'docker.sock'), join(homedir(), '.docker', 'desktop', 'docker.sock')];
  if (env.XDG_RUNTIME_DIR) candidates.push(join(env.XDG_RUNTIME_DIR, 'docker.sock'), join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock'));
  const found = candidates.find((p) => existsSync(p));
  return { how: `socket ${found ?? '/var/run/docker.sock'}`, socketPath: found ?? '/var/run/docker.sock' };
}

export function noDockerParagraph(how: string, reason: string): string {
  return (
    `Cannot reach a Docker engine (${how}: ${reason}). EventFlow runs the whole stack in containers, so it needs a ` +
    `running Docker engine: start it (\`sudo systemctl start docker\`, \`sudo dockerd &\`, or open Docker Desktop), or point ` +
    `DOCKER_HOST at the engine you use (Podman: \`export DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock\`), ` +
    `then try again; \`eventflow doctor\` checks the whole setup.`
  );
}

/** Ping the engine once, quickly. Never throws. */
export async function probeDocker(env: NodeJS.ProcessEnv = process.env): Promise<
  { ok: true; docker: Dockerode; how: string; serverVersion: string; apiVersion: string } | { ok: false; how: string; reason: string }
> {
  const target = dockerTarget(env);
  let Client: typeof Dockerode;
  let docker: Dockerode;
  try {
    Client = await loadDockerode();
    docker = target.socketPath ? new Client({ socketPath: target.socketPath, timeout: 5000 }) : new Client({ timeout: 5000 });
  } catch (error) {
    return { ok: false, how: target.how, reason: (error as Error).message };
  }
  try {
    // one round trip, not two: the version answers only if the engine does
    const [, version] = await Promise.all([docker.ping(), docker.version()]);
    // A fresh client without the short timeout (image builds and log streams take long).
    const long = target.socketPath ? new Client({ socketPath: target.socketPath }) : new Client();
    return { ok: true, docker: long, how: target.how, serverVersion: version.Version, apiVersion: version.ApiVersion };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { ok: false, how: target.how, reason: e.code ? `${e.code}` : e.message.split('\n')[0]! };
  }
}

let cached: Promise<DockerConnection> | undefined;

/** Connect (once per process) or throw InfrastructureError with the paragraph above. */
export function connectDocker(): Promise<DockerConnection> {
  cached ??= (async () => {
    // The stack must outlive this process: never start Ryuk for it.
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
    const probe = await probeDocker();
    if (!probe.ok) throw new InfrastructureError(noDockerParagraph(probe.how, probe.reason));
    if (!process.env.DOCKER_HOST && probe.how.startsWith('socket ')) {
      // Make Testcontainers (loaded only by `eventflow up`: cli/stack/runtime.ts) use the very socket we probed.
      process.env.DOCKER_HOST = `unix://${probe.how.slice('socket '.length)}`;
    }
    return { docker: probe.docker, how: probe.how, serverVersion: probe.serverVersion, apiVersion: probe.apiVersion };
  })();
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

/** Docker answers 304 when a container already is in the wanted state: that is success for us. */
export function isNotModified(error: unknown): boolean {
  const e = error as { statusCode?: number };
  return e?.statusCode === 304;
}

export function isNotFound(error: unknown): boolean {
  const e = error as { statusCode?: number };
  return e?.statusCode === 404;
}
