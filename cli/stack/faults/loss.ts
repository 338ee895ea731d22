/**
 * loss: each packet to or from a service dropped with probability percent/100
 * (iptables `statistic --mode random`), optionally only the packets exchanged
 * with one peer. Rules live in the service's network namespace: a container
 * recreated since has none, so healing it is a no-op.
 */
import { addressOn, type FaultOf, type GrayFaultImpl } from './context.js';
import { installChainsScript, removeChainsScript } from './netfilter.js';
import { runInNetnsOrFail } from './netns.js';

const CHAIN = 'EVENTFLOW_LOSS';

export const loss: GrayFaultImpl<FaultOf<'loss'>> = {
  check: (f) => (f.percent > 0 && f.percent <= 100 ? [] : [`loss percent must be in (0, 100], got ${f.percent}`]),

  async apply(ctx, f) {
    const target = await ctx.inspect(f.service);
    const peerIp = f.peer ? await addressOn(ctx, f.peer) : undefined;
    const p = (f.percent / 100).toFixed(4);
    const drop = `-m statistic --mode random --probability ${p} -j DROP`;
    const script = installChainsScript(CHAIN, {
      input: [`${peerIp ? `-s ${peerIp} ` : ''}${drop}`],
      output: [`${peerIp ? `-d ${peerIp} ` : ''}${drop}`],
    });
    await runInNetnsOrFail(ctx.docker, target, script, `loss on ${f.service}`);
  },

  async heal(ctx, f) {
    const target = await ctx.inspect(f.service);
    if (!target.State.Running) return; // a stopped container's namespace (and rules) is gone
    await runInNetnsOrFail(ctx.docker, target, removeChainsScript(CHAIN), `healing loss on ${f.service}`);
  },
};
