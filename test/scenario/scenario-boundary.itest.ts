/**
 * Regression for the CI failure of stop 12: `db-and-cache-outage` ran 1.3 s after `broker-outage` had brought
 * RabbitMQ back and answered 5× 503 UNAVAILABLE where it expects ACCEPTED_ASYNC (report
 * 20261128-130730-db-and-cache-outage-b802). Its steady state had passed: the containers were healthy, and
 * NGINX answered /health with 200. But the api nodes had not reconnected to RabbitMQ yet (their reconnect
 * backs off up to 2 s), so with PostgreSQL and Redis killed they had nowhere to put a purchase. The scenario
 * tested a different system from the one it describes.
 *
 * The same state, made on purpose: every connection to RabbitMQ reset by the fault proxy (the container
 * stays healthy) until every api node reports RabbitMQ down and its reconnect is at the 2 s cap, then healed,
 * and the scenario started at once. The scenario's `cluster-ok` steady-state probe must hold the experiment
 * until every node is connected again. Without it, most runs fail (the nodes reconnect at a random moment
 * within 2 s; the outage purchases come ~0.5 s after the start).
 *
 * EVENTFLOW_BOUNDARY_SCENARIO runs another scenario file the same way (used to show the failure before the fix).
 */
import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { findServiceContainer } from '../../cli/stack/containers.js';
import { DockerFaultDriver } from '../../cli/stack/faults.js';
import type { GrayFault } from '../../cli/stack/types.js';
import { sleep } from '../support/wait.js';
import { cli, explain, REPORTS, reportOf, STACK, useTestStack } from './harness.js';

useTestStack();

const SCENARIO = process.env.EVENTFLOW_BOUNDARY_SCENARIO ?? 'db-and-cache-outage';
const RUNS = 3;
/** after every node saw RabbitMQ go: 100+200+400+800+1600 ms of attempts and the backoff is at its 2 s cap */
const BACKOFF_AT_CAP_MS = 3500;

const docker = new Docker();
const faults = new DockerFaultDriver(docker, STACK, `eventflow-${STACK}`);
const RESET: GrayFault = { kind: 'reset', service: 'rabbitmq', stream: 'upstream' };

async function gateway(): Promise<string> {
  const nginx = await findServiceContainer(docker, STACK, 'nginx');
  const port = nginx?.Ports.find((p) => p.PrivatePort === 80 && p.PublicPort)?.PublicPort;
  if (!port) throw new Error(`stack ${STACK}: no published port 80 on its nginx container`);
  return `http://127.0.0.1:${port}`;
}

interface Health {
  nodes?: Array<{ node?: string; dependencies?: Record<string, { up?: boolean }> }>;
}

/** the api nodes that report RabbitMQ up, from GET /health through the gateway */
async function brokerUpOn(url: string): Promise<string[]> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as Health;
    return (body.nodes ?? []).filter((n) => n.dependencies?.rabbitmq?.up === true).map((n) => n.node ?? '?');
  } catch {
    return ['(no answer)'];
  }
}

describe('a scenario that starts while the api nodes still reconnect to RabbitMQ (containers healthy)', () => {
  it(`${SCENARIO} waits in its steady state until every node is connected, then passes (${RUNS} runs)`, async () => {
    const url = await gateway();
    await faults.preflight(RESET);
    for (let run = 1; run <= RUNS; run++) {
      await faults.degrade(RESET);
      try {
        const deadline = Date.now() + 30_000;
        let up = await brokerUpOn(url);
        while (up.length > 0 && Date.now() < deadline) {
          await sleep(200);
          up = await brokerUpOn(url);
        }
        expect(up, `run ${run}: nodes still reporting RabbitMQ up 30 s into the reset`).toEqual([]);
        await sleep(BACKOFF_AT_CAP_MS);
      } finally {
        await faults.heal(RESET);
      }
      expect(await faults.isHealthy('rabbitmq')).toBe(true);
      const r = await cli(['scenario', SCENARIO, '--stack', STACK, '--report-dir', REPORTS]);
      expect(r.code, `run ${run}: ${explain(r)}`).toBe(0);
      const { report } = reportOf(r);
      const outage = report.history.ops.filter((o) => o.step === 'outage-purchases');
      expect(outage.length).toBeGreaterThan(0);
      expect(outage.map((o) => o.status)).toEqual(outage.map(() => 'ACCEPTED_ASYNC'));
    }
  }, 300_000);
});
