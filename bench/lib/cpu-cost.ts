/**
 * Where a request's CPU goes: each container's CPU time (the engine's cgroup counter, user + kernel)
 * before and after a load, divided by the requests answered. It says why a row is where it is —
 * on a 2-core host the gateway, the api nodes, the fault proxy and the database share the same cores,
 * so every microsecond a component spends per request is throughput the row does not have.
 * The load generator (wrk, pgbench's client, the raw publisher) is not in it unless it runs in a container.
 */
import Dockerode from 'dockerode';
import { dockerTarget } from '../../cli/stack/docker.js';
import { median } from './median.js';

/** The stack's services, in the order the cost table shows them. */
export const COST_SERVICES = ['nginx', 'api-1', 'api-2', 'api-3', 'proxy', 'redis', 'postgres', 'rabbitmq', 'notifier'] as const;
export type CostService = (typeof COST_SERVICES)[number];

/** Microseconds of CPU per answered request, by service (a stopped service is absent). */
export type CpuPerRequest = Partial<Record<CostService, number>>;

let engine: Dockerode | undefined;
function docker(): Dockerode {
  if (!engine) {
    const t = dockerTarget();
    engine = t.socketPath ? new Dockerode({ socketPath: t.socketPath }) : new Dockerode();
  }
  return engine;
}

/** Cumulative CPU nanoseconds of each running service of the stack; a stopped or absent one is left out. */
export async function cpuNanos(stack: string): Promise<Map<CostService, number>> {
  const out = new Map<CostService, number>();
  await Promise.all(
    COST_SERVICES.map(async (service) => {
      try {
        const stats = await docker().getContainer(`eventflow-${stack}-${service}`).stats({ stream: false, 'one-shot': true });
        const ns = stats.cpu_stats?.cpu_usage?.total_usage;
        if (typeof ns === 'number' && ns > 0) out.set(service, ns);
      } catch {
        /* not running (PostgreSQL during an outage): no figure */
      }
    }),
  );
  return out;
}

/** Per-request CPU from two readings around a load that answered `requests` requests. */
export function perRequest(before: Map<CostService, number>, after: Map<CostService, number>, requests: number): CpuPerRequest {
  const cost: CpuPerRequest = {};
  if (requests <= 0) return cost;
  for (const [service, ns] of after) {
    const was = before.get(service);
    if (was === undefined || ns < was) continue; // started or restarted in between: its counter began again
    cost[service] = (ns - was) / 1000 / requests;
  }
  return cost;
}

/** Run a load and measure the stack's CPU per request it answered. */
export async function withCpuCost<T>(stack: string, load: () => Promise<T>, answered: (r: T) => number): Promise<{ result: T; cpu: CpuPerRequest }> {
  const before = await cpuNanos(stack);
  const result = await load();
  const after = await cpuNanos(stack);
  return { result, cpu: perRequest(before, after, answered(result)) };
}

/** The median of each service's figure over repetitions (a service missing from one repetition counts from the others). */
export function medianCost(costs: CpuPerRequest[]): CpuPerRequest {
  const out: CpuPerRequest = {};
  for (const service of COST_SERVICES) {
    const xs = costs.map((c) => c[service]).filter((x): x is number => x !== undefined);
    if (xs.length) out[service] = median(xs);
  }
  return out;
}
