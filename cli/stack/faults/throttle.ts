/**
 * throttle: the container's CPU quota cut (`docker update --cpus`): a slow
 * service, not a dead one. `--cpus 0` does not lift a quota on this engine;
 * healing sets it back to the machine's core count, which is no limit at all.
 */
import type { FaultContext, FaultOf, GrayFaultImpl } from './context.js';

const NANO = 1e9;

async function machineCpus(ctx: FaultContext): Promise<number> {
  const info = (await ctx.docker.info()) as { NCPU?: number };
  return info.NCPU && info.NCPU > 0 ? info.NCPU : 1;
}

export const throttle: GrayFaultImpl<FaultOf<'throttle'>> = {
  check: (f) => (f.cpus >= 0.01 && f.cpus <= 64 ? [] : [`throttle cpus must be between 0.01 and 64, got ${f.cpus}`]),

  async apply(ctx, f) {
    const info = await ctx.inspect(f.service);
    await ctx.docker.getContainer(info.Id).update({ NanoCpus: Math.round(f.cpus * NANO) });
  },

  async heal(ctx, f) {
    const info = await ctx.inspect(f.service);
    const current = info.HostConfig.NanoCpus ?? 0;
    const full = (await machineCpus(ctx)) * NANO;
    if (current === 0 || current >= full) return;
    await ctx.docker.getContainer(info.Id).update({ NanoCpus: full });
  },
};
