/** What a gray-fault implementation may use of the stack it degrades. */
import type Dockerode from 'dockerode';
import type { GrayFault, GrayFaultKind } from '../types.js';

export interface FaultContext {
  docker: Dockerode;
  /** The stack's Docker network (addresses of peers are taken on it). */
  network: string;
  /** The service's container, inspected now; UsageError for a service the stack does not have. */
  inspect(service: string): Promise<Dockerode.ContainerInspectInfo>;
}

export type FaultOf<K extends GrayFaultKind> = Extract<GrayFault, { kind: K }>;

/** One gray-fault kind: how to check, apply and undo it. */
export interface GrayFaultImpl<F extends GrayFault> {
  /** Problems with the parameters, worded for a person ("percent must be in (0, 100], got 150"); empty when fine. */
  check(fault: F): string[];
  /** Apply (idempotent: replaces the same kind on the same service). */
  apply(ctx: FaultContext, fault: F): Promise<void>;
  /** Undo; a no-op when nothing is applied. */
  heal(ctx: FaultContext, fault: F): Promise<void>;
}

/** The stack-network IPv4 address of a service, for rules that name a peer. */
export async function addressOn(ctx: FaultContext, service: string): Promise<string> {
  const info = await ctx.inspect(service);
  const ip = info.NetworkSettings.Networks?.[ctx.network]?.IPAddress;
  if (!ip) throw new Error(`${service} has no address on network ${ctx.network} (disconnected or stopped?)`);
  return ip;
}
