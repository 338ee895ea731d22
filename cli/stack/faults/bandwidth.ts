/**
 * bandwidth: a token-bucket filter (`tc qdisc tbf`) on the service's interface of
 * the stack network: what the service sends is capped at `rate`. (Ingress cannot
 * be shaped without an ifb device, which this kernel may lack; capping both ends
 * of a conversation caps both ways.)
 */
import { addressOn, type FaultOf, type GrayFaultImpl } from './context.js';
import { requireTools, runInNetnsOrFail } from './netns.js';

const UNITS: Record<string, number> = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 };
const RATE = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/;

/** `512kbit` → 512000 bits/s; undefined when not tc rate syntax we accept. */
export function parseRate(rate: string): number | undefined {
  const m = RATE.exec(rate.trim().toLowerCase());
  return m ? Number(m[1]) * UNITS[m[2]!]! : undefined;
}

/** The interface that carries `ip`, as a shell snippet setting $dev. */
const findDevice = (ip: string): string =>
  [
    `dev=$(ip -o -4 addr show | awk -v ip=${ip} '{ split($4, a, "/"); if (a[1] == ip) print $2 }' | cut -d@ -f1)`,
    `[ -n "$dev" ] || { echo "no interface carries ${ip}" >&2; exit 1; }`,
  ].join('\n');

export const bandwidth: GrayFaultImpl<FaultOf<'bandwidth'>> = {
  check: (f) => {
    const bits = parseRate(f.rate);
    if (bits === undefined) return [`bandwidth rate must look like 512kbit, 1mbit or 1gbit, got "${f.rate}"`];
    return bits >= 8000 ? [] : [`bandwidth rate must be at least 8kbit, got "${f.rate}"`];
  },

  async apply(ctx, f) {
    const target = await ctx.inspect(f.service);
    const ip = await addressOn(ctx, f.service);
    const bytesPerSecond = parseRate(f.rate)! / 8;
    // a burst of 20 ms of traffic (never below a few full-size packets) keeps the cap smooth at any rate
    const burst = Math.max(Math.ceil(bytesPerSecond / 50), 4 * 1514);
    const script = ['set -e', requireTools(['ip', 'tc', 'awk']), findDevice(ip), `tc qdisc replace dev "$dev" root tbf rate ${Math.round(bytesPerSecond * 8)}bit burst ${burst} latency 400ms`].join('\n');
    await runInNetnsOrFail(ctx.docker, target, script, `bandwidth on ${f.service}`);
  },

  async heal(ctx, f) {
    const target = await ctx.inspect(f.service);
    if (!target.State.Running) return;
    const ip = target.NetworkSettings.Networks?.[ctx.network]?.IPAddress;
    if (!ip) return; // off the network: no interface of ours to clean
    const script = [requireTools(['ip', 'tc', 'awk']), findDevice(ip), `if tc qdisc show dev "$dev" root | grep -q tbf; then tc qdisc del dev "$dev" root; fi`].join('\n');
    await runInNetnsOrFail(ctx.docker, target, script, `healing bandwidth on ${f.service}`);
  },
};
