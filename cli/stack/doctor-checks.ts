/**
 * What `eventflow doctor` checks: Node, the Docker engine, the image set, the app
 * image, a registry, the ports docker-compose.yml needs. Each check says what it found
 * and, when it is a problem, the command that fixes it.
 */
import { lookup } from 'node:dns/promises';
import { connect, createServer } from 'node:net';
import type Dockerode from 'dockerode';
import type { EventflowError } from '../errors.js';
import { NODE_INSTALL_HINT, nodeVersionOk, requiredNode } from '../node-version.js';
import { INPUTS_LABEL, imageId, planAppImage } from './app-image.js';
import { dockerTarget, noDockerParagraph, probeDocker } from './docker.js';
import { IMAGE_SETS, appImageName, type ImageSetName } from './images.js';

/** `true`: fine; `'warn'`: works, with a limitation; `false`: a problem to fix first. */
export interface Check {
  ok: boolean | 'warn';
  what: string;
  fix?: string;
}

/** The ports docker-compose.yml publishes (`eventflow up` picks free ones itself). */
const COMPOSE_PORTS = [8080, 15672, 9090, 3000];

export async function runDoctorChecks(imageSet: ImageSetName): Promise<Check[]> {
  const need = requiredNode();
  const checks: Check[] = [{ ok: nodeVersionOk(), what: `Node.js ${process.version} (need ${need.text})`, fix: NODE_INSTALL_HINT }];
  checks.push(...(await dockerChecks(imageSet)));
  checks.push(await registryCheck(imageSet));
  checks.push(await portsCheck());
  return checks;
}

async function dockerChecks(imageSet: ImageSetName): Promise<Check[]> {
  const probe = await probeDocker();
  if (!probe.ok) {
    const fix = dockerTarget().how.startsWith('DOCKER_HOST')
      ? 'unset DOCKER_HOST (or fix it), or: sudo systemctl start docker'
      : 'sudo systemctl start docker   (or: sudo dockerd &, or start Docker Desktop)';
    return [{ ok: false, what: noDockerParagraph(probe.how, probe.reason), fix }];
  }
  const checks: Check[] = [{ ok: true, what: `Docker engine ${probe.serverVersion} (API ${probe.apiVersion}) via ${probe.how}` }];
  if (process.env.TESTCONTAINERS_HOST_OVERRIDE) checks.push({ ok: true, what: `TESTCONTAINERS_HOST_OVERRIDE=${process.env.TESTCONTAINERS_HOST_OVERRIDE}` });
  checks.push(await imageSetCheck(probe.docker, imageSet));
  if (IMAGE_SETS[imageSet].grafana === undefined) checks.push({ ok: 'warn', what: `the ${imageSet} set has no Grafana: eventflow up runs without dashboards` });
  checks.push(await appImageCheck(probe.docker, imageSet));
  return checks;
}

async function imageSetCheck(docker: Dockerode, imageSet: ImageSetName): Promise<Check> {
  const roles = Object.entries(IMAGE_SETS[imageSet]).filter(([role, name]) => role !== 'node' && name) as [string, string][];
  const wanted = [...roles.map(([, name]) => name), IMAGE_SETS[imageSet].node!];
  const missing: string[] = [];
  for (const name of wanted) if (!(await imageId(docker, name))) missing.push(name);
  if (missing.length === 0) return { ok: true, what: `${imageSet} images present (${wanted.length})` };
  return {
    ok: imageSet === 'official' ? 'warn' : false,
    what: `${imageSet} images missing: ${missing.join(', ')}`,
    fix: imageSet === 'offline' ? 'npm run images:offline' : `pulled on first \`eventflow up\` (or: ${missing.map((m) => `docker pull ${m}`).join(' && ')})`,
  };
}

async function appImageCheck(docker: Dockerode, imageSet: ImageSetName): Promise<Check> {
  try {
    const plan = planAppImage(imageSet, (await imageId(docker, IMAGE_SETS[imageSet].node!)) ?? '');
    const label = (await docker.getImage(appImageName(imageSet)).inspect().catch(() => undefined))?.Config?.Labels?.[INPUTS_LABEL];
    return label === plan.hash
      ? { ok: true, what: `app image ${plan.image} up to date` }
      : { ok: 'warn', what: `app image ${plan.image} will be (re)built by the next eventflow up (inputs changed or first run)` };
  } catch (error) {
    return { ok: false, what: `app image: ${(error as Error).message}`, fix: (error as Partial<EventflowError>).hint ?? 'npm run build' };
  }
}

async function registryCheck(imageSet: ImageSetName): Promise<Check> {
  const reg = await registryReachable();
  if (reg.ok) return { ok: true, what: `image registry reachable (${reg.why})` };
  return {
    ok: imageSet === 'official' ? false : 'warn',
    what: `no image registry reachable (${reg.why})${imageSet === 'official' ? ': the official images cannot be pulled' : ''}`,
    fix: 'use the offline image set: npm run images:offline && export EVENTFLOW_IMAGES=offline',
  };
}

/** Is a public registry reachable? DNS first (no traffic beyond the resolver); one TCP connect only when it resolves. */
async function registryReachable(): Promise<{ ok: boolean; why: string }> {
  if (process.env.EVENTFLOW_REGISTRY_CHECK === 'off') return { ok: false, why: 'check disabled (EVENTFLOW_REGISTRY_CHECK=off)' };
  const host = 'registry-1.docker.io';
  try {
    await lookup(host);
  } catch {
    return { ok: false, why: `${host} does not resolve` };
  }
  return new Promise((resolve) => {
    const s = connect({ host, port: 443, timeout: 3000 });
    s.once('connect', () => {
      s.destroy();
      resolve({ ok: true, why: `${host}:443 answers` });
    });
    s.once('timeout', () => {
      s.destroy();
      resolve({ ok: false, why: `${host}:443 timed out` });
    });
    s.once('error', (e) => resolve({ ok: false, why: `${host}:443 ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
  });
}

async function portsCheck(): Promise<Check> {
  const busy: number[] = [];
  for (const p of COMPOSE_PORTS) if (!(await portFree(p))) busy.push(p);
  return busy.length === 0
    ? { ok: true, what: `ports ${COMPOSE_PORTS.join(', ')} free on 127.0.0.1 (docker-compose.yml; eventflow up picks free ports itself)` }
    : { ok: 'warn', what: `ports in use on 127.0.0.1: ${busy.join(', ')} (only docker-compose.yml needs them)`, fix: 'EVENTFLOW_HTTP_PORT=18080 docker-compose up  (see docker-compose.yml for the other *_PORT variables)' };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}
