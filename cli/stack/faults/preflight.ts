/**
 * Can this host apply a gray fault at all? Checked before a scenario starts
 * anything, so that a missing tool (iptables, tc), a missing helper image or a
 * stack without the fault proxy is an InfrastructureError (exit 3) naming what
 * is missing, not a half-run experiment.
 */
import type { GrayFault, GrayFaultKind } from '../types.js';
import type { FaultContext } from './context.js';
import { requireTools, runInNetnsOrFail } from './netns.js';
import { InfrastructureError } from '../../errors.js';
import { proxyClient } from './toxic.js';

type Preflight = (ctx: FaultContext, fault: GrayFault) => Promise<void>;

/** The tools (and a harmless command proving the kernel lets them work) in the service's network namespace. */
const netns =
  (tools: string[], probe: string): Preflight =>
  async (ctx, fault) => {
    const target = await ctx.inspect(fault.service);
    await runInNetnsOrFail(ctx.docker, target, [requireTools(tools), probe].join('\n'), `${fault.kind} on ${fault.service}`);
  };

const throughProxy: Preflight = async (ctx, fault) => {
  const client = await proxyClient(ctx, `${fault.kind} on ${fault.service}`);
  if (!(await client.proxies())[fault.service]) throw new InfrastructureError(`cannot apply ${fault.kind} on ${fault.service}: the fault proxy has no proxy named "${fault.service}"`);
};

const nothing: Preflight = async () => undefined;

const PREFLIGHT: Record<GrayFaultKind, Preflight> = {
  loss: netns(['iptables'], 'iptables -S >/dev/null'),
  partition: netns(['iptables'], 'iptables -S >/dev/null'),
  bandwidth: netns(['ip', 'tc', 'awk'], 'tc qdisc show >/dev/null'),
  throttle: nothing, // the engine's API (docker update): no tool on the host
  'db-lock': nothing, // psql ships with PostgreSQL's image; apply checks the table
  latency: throughProxy,
  timeout: throughProxy,
  reset: throughProxy,
};

export async function preflightGrayFault(ctx: FaultContext, fault: GrayFault): Promise<void> {
  await PREFLIGHT[fault.kind](ctx, fault);
}
