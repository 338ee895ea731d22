/**
 * partition: a service that cannot reach some peers while every other service
 * still reaches both (a partial partition), or only in one direction. iptables
 * DROP rules in the service's network namespace, on the peers' addresses taken
 * when the fault is applied (a peer recreated with a new address escapes it).
 */
import { addressOn, type FaultOf, type GrayFaultImpl } from './context.js';
import { installChainsScript, removeChainsScript } from './netfilter.js';
import { runInNetnsOrFail } from './netns.js';

const CHAIN = 'EVENTFLOW_PART';

export const partition: GrayFaultImpl<FaultOf<'partition'>> = {
  check: (f) => [
    ...(f.peers.length > 0 ? [] : ['partition needs at least one peer']),
    ...(f.peers.includes(f.service) ? [`partition: ${f.service} cannot be cut off from itself`] : []),
  ],

  async apply(ctx, f) {
    const target = await ctx.inspect(f.service);
    const ips = await Promise.all(f.peers.map((p) => addressOn(ctx, p)));
    const script = installChainsScript(CHAIN, {
      input: f.oneWay ? [] : ips.map((ip) => `-s ${ip} -j DROP`),
      output: ips.map((ip) => `-d ${ip} -j DROP`),
    });
    await runInNetnsOrFail(ctx.docker, target, script, `partition of ${f.service} from ${f.peers.join(', ')}`);
  },

  async heal(ctx, f) {
    const target = await ctx.inspect(f.service);
    if (!target.State.Running) return;
    await runInNetnsOrFail(ctx.docker, target, removeChainsScript(CHAIN), `healing the partition of ${f.service}`);
  },
};
