/**
 * The gray-fault kinds a Docker stack can take, one module each. The driver
 * knows none of them by name: it looks the kind up here.
 */
import { UsageError } from '../../errors.js';
import type { GrayFault, GrayFaultKind } from '../types.js';
import { bandwidth } from './bandwidth.js';
import type { FaultContext, FaultOf, GrayFaultImpl } from './context.js';
import { dbLock } from './db-lock.js';
import { loss } from './loss.js';
import { partition } from './partition.js';
import { throttle } from './throttle.js';
import { latency, reset, timeout } from './toxic.js';

export const GRAY_FAULTS: { [K in GrayFaultKind]: GrayFaultImpl<FaultOf<K>> } = {
  loss,
  partition,
  bandwidth,
  throttle,
  'db-lock': dbLock,
  latency,
  timeout,
  reset,
};

function implOf(fault: GrayFault): GrayFaultImpl<GrayFault> {
  const impl = (GRAY_FAULTS as Record<string, GrayFaultImpl<GrayFault> | undefined>)[fault.kind];
  if (!impl) throw new UsageError(`unknown fault kind "${fault.kind}" (known: ${Object.keys(GRAY_FAULTS).join(', ')})`);
  return impl;
}

/** Problems with a fault's parameters (empty when it can be applied); for validators and the driver alike. */
export function checkGrayFault(fault: GrayFault): string[] {
  return implOf(fault).check(fault);
}

/** One line for logs and reports: `loss 30% on api-2 (towards postgres)`. */
export function describeGrayFault(f: GrayFault): string {
  const DESCRIBE: { [K in GrayFaultKind]: (f: FaultOf<K>) => string } = {
    loss: (x) => `loss ${x.percent}% on ${x.service}${x.peer ? ` (towards ${x.peer})` : ''}`,
    partition: (x) => `partition ${x.service} from ${x.peers.join(', ')}${x.oneWay ? ' (one way)' : ''}`,
    bandwidth: (x) => `bandwidth ${x.rate} on ${x.service}`,
    throttle: (x) => `throttle ${x.service} to ${x.cpus} CPU`,
    'db-lock': (x) => `db-lock ${x.table} IN ${x.mode} MODE for ${x.durationMs} ms (${x.service})`,
    latency: (x) => `latency ${x.latencyMs}${x.jitterMs ? ` ± ${x.jitterMs}` : ''} ms on ${x.service}`,
    timeout: (x) => `timeout on ${x.service}${x.timeoutMs ? ` (closed after ${x.timeoutMs} ms)` : ''}`,
    reset: (x) => `reset ${x.service} connections${x.afterMs ? ` after ${x.afterMs} ms` : ''}`,
  };
  return (DESCRIBE[f.kind] as (x: GrayFault) => string)(f);
}

export async function applyGrayFault(ctx: FaultContext, fault: GrayFault): Promise<void> {
  const impl = implOf(fault);
  const problems = impl.check(fault);
  if (problems.length) throw new UsageError(`${describeGrayFault(fault)}: ${problems.join('; ')}`);
  await impl.apply(ctx, fault);
}

export async function healGrayFault(ctx: FaultContext, fault: GrayFault): Promise<void> {
  await implOf(fault).heal(ctx, fault);
}
