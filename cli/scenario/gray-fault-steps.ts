/**
 * Gray-fault steps of the scenario language (`fault: loss`, `fault: latency`…):
 * for each kind, the step fields it takes and how a step becomes the driver's
 * GrayFault on one resolved service. The validator reads FIELDS for precise
 * messages; the fault step and the ledger use toGrayFault.
 */
import type { GrayFault, GrayFaultKind } from '../stack/types.js';
import { GRAY_FAULT_ACTIONS, parseDuration, type FaultStepDef, type GrayFaultAction } from './format.js';

/** Every gray-fault action of the format is a driver kind, and the other way round. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const sameKinds: Same<GrayFaultAction, GrayFaultKind> = true;
void sameKinds;

export type GrayFaultField = 'percent' | 'peer' | 'peers' | 'oneWay' | 'rate' | 'cpus' | 'table' | 'mode' | 'latency' | 'jitter' | 'stream' | 'after' | 'duration';
export const GRAY_FAULT_FIELDS: readonly GrayFaultField[] = ['percent', 'peer', 'peers', 'oneWay', 'rate', 'cpus', 'table', 'mode', 'latency', 'jitter', 'stream', 'after', 'duration'];

interface GrayFaultStepSpec {
  required: readonly GrayFaultField[];
  optional: readonly GrayFaultField[];
  /** Targets must be dependencies behind the fault proxy (postgres, redis, rabbitmq). */
  throughProxy?: boolean;
  /** The step's GrayFault on `service` (peers already resolved to service names). */
  build(def: FaultStepDef, service: string, peers: string[]): GrayFault;
}

const ms = (v: FaultStepDef['latency']): number => parseDuration(v, 0);

export const GRAY_FAULT_STEPS: Record<GrayFaultAction, GrayFaultStepSpec> = {
  loss: {
    required: ['percent'],
    optional: ['peer', 'duration'],
    build: (d, service) => ({ kind: 'loss', service, percent: d.percent!, ...(d.peer ? { peer: d.peer } : {}) }),
  },
  partition: {
    required: ['peers'],
    optional: ['oneWay', 'duration'],
    build: (d, service, peers) => ({ kind: 'partition', service, peers, ...(d.oneWay ? { oneWay: true } : {}) }),
  },
  bandwidth: { required: ['rate'], optional: ['duration'], build: (d, service) => ({ kind: 'bandwidth', service, rate: d.rate! }) },
  throttle: { required: ['cpus'], optional: ['duration'], build: (d, service) => ({ kind: 'throttle', service, cpus: d.cpus! }) },
  'db-lock': {
    required: ['table', 'duration'],
    optional: ['mode'],
    build: (d, service) => ({ kind: 'db-lock', service, table: d.table!, mode: d.mode ?? 'ACCESS EXCLUSIVE', durationMs: ms(d.duration) }),
  },
  latency: {
    required: ['latency'],
    optional: ['jitter', 'stream', 'duration'],
    throughProxy: true,
    build: (d, service) => ({ kind: 'latency', service, latencyMs: ms(d.latency), ...(d.jitter !== undefined ? { jitterMs: ms(d.jitter) } : {}), ...(d.stream ? { stream: d.stream } : {}) }),
  },
  timeout: { required: [], optional: ['after', 'duration'], throughProxy: true, build: (d, service) => ({ kind: 'timeout', service, timeoutMs: ms(d.after) }) },
  reset: {
    required: [],
    optional: ['after', 'stream', 'duration'],
    throughProxy: true,
    build: (d, service) => ({ kind: 'reset', service, ...(d.after !== undefined ? { afterMs: ms(d.after) } : {}), ...(d.stream ? { stream: d.stream } : {}) }),
  },
};

/** Groups whose services the fault proxy stands in front of (cli/stack/faults/proxy-wiring.ts). */
export const PROXIED_GROUPS = ['db', 'cache', 'broker'] as const;

export function isGrayFaultAction(action: string): action is GrayFaultAction {
  return (GRAY_FAULT_ACTIONS as readonly string[]).includes(action);
}

/** How long a gray-fault step holds its fault before healing it (undefined: until a heal step or rollback). */
export function holdMs(def: FaultStepDef): number | undefined {
  return def.duration === undefined ? undefined : parseDuration(def.duration, 0);
}
