/**
 * latency / timeout / reset on a dependency's connections, through the fault
 * proxy (service `proxy`: EventFlow's own, or the official Toxiproxy image; one
 * client drives both). Convention: the proxy in front of a service is named
 * after it (`postgres`, `redis`, `rabbitmq`); the CLI reaches the proxy's API on
 * the loopback port published for its container port 8474.
 */
import { InfrastructureError, UsageError } from '../../errors.js';
import type { FaultContext, FaultOf, GrayFaultImpl } from './context.js';
import { ToxiproxyClient, type ToxicAttributes, type ToxicType } from './toxiproxy-client.js';

export const PROXY_SERVICE = 'proxy';
export const PROXY_API_PORT = 8474;
const MAX_MS = 10 * 60_000;

/** The Toxiproxy client of a stack's proxy service. */
export async function proxyClient(ctx: FaultContext, forWhat: string): Promise<ToxiproxyClient> {
  let info;
  try {
    info = await ctx.inspect(PROXY_SERVICE);
  } catch (e) {
    if (e instanceof UsageError) {
      throw new InfrastructureError(`cannot apply ${forWhat}: this stack runs no fault proxy (service "${PROXY_SERVICE}")`, 'latency, timeout and reset need the stack to route its dependencies through the proxy');
    }
    throw e;
  }
  const binding = info.NetworkSettings.Ports?.[`${PROXY_API_PORT}/tcp`]?.[0];
  if (!info.State.Running || !binding) throw new InfrastructureError(`cannot apply ${forWhat}: the fault proxy is ${info.State.Running ? `not publishing its API port ${PROXY_API_PORT}` : info.State.Status}`);
  return new ToxiproxyClient(`http://127.0.0.1:${binding.HostPort}`);
}

interface ToxicPlan<T extends ToxicType = ToxicType> {
  name: string;
  type: T;
  stream: 'upstream' | 'downstream';
  attributes: ToxicAttributes[T];
}

/** One fault kind = the toxics it sets on the dependency's proxy (named so that heal removes exactly them). */
function toxicFault<F extends FaultOf<'latency' | 'timeout' | 'reset'>>(kind: F['kind'], plan: (f: F) => ToxicPlan[], check: (f: F) => string[]): GrayFaultImpl<F> {
  const names = (f: F): string[] => plan(f).map((t) => t.name);
  return {
    check,
    async apply(ctx, f) {
      const client = await proxyClient(ctx, `${kind} on ${f.service}`);
      if (!(await client.proxies())[f.service]) throw new InfrastructureError(`cannot apply ${kind} on ${f.service}: the fault proxy has no proxy named "${f.service}" (is ${f.service} routed through it?)`);
      for (const toxic of plan(f)) await client.setToxic(f.service, toxic);
    },
    async heal(ctx, f) {
      const client = await proxyClient(ctx, `healing ${kind} on ${f.service}`);
      if (!(await client.proxies())[f.service]) return;
      for (const name of names(f)) await client.removeToxic(f.service, name);
    },
  };
}

const msInRange = (label: string, value: number | undefined, min = 0): string[] =>
  value === undefined || (value >= min && value <= MAX_MS) ? [] : [`${label} must be between ${min} and ${MAX_MS} ms, got ${value}`];

export const latency = toxicFault<FaultOf<'latency'>>(
  'latency',
  (f) => [{ name: 'eventflow_latency', type: 'latency', stream: f.stream ?? 'downstream', attributes: { latency: f.latencyMs, jitter: f.jitterMs ?? 0 } }],
  (f) => [
    ...msInRange('latency', f.latencyMs, 1),
    ...msInRange('jitter', f.jitterMs),
    ...((f.jitterMs ?? 0) > f.latencyMs ? [`jitter (${f.jitterMs} ms) must not exceed latency (${f.latencyMs} ms)`] : []),
  ],
);

/** Both directions: a black hole, not a one-way stall. */
export const timeout = toxicFault<FaultOf<'timeout'>>(
  'timeout',
  (f) =>
    (['upstream', 'downstream'] as const).map((stream) => ({ name: `eventflow_timeout_${stream}`, type: 'timeout' as const, stream, attributes: { timeout: f.timeoutMs } })),
  (f) => msInRange('timeout', f.timeoutMs),
);

export const reset = toxicFault<FaultOf<'reset'>>(
  'reset',
  (f) => [{ name: 'eventflow_reset', type: 'reset_peer', stream: f.stream ?? 'downstream', attributes: { timeout: f.afterMs ?? 0 } }],
  (f) => msInRange('reset afterMs', f.afterMs),
);
