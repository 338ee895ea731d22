/** The names a scenario may target, as a view on the stack's topology (cli/stack/topology.ts). */
import { defaultTopology } from '../stack/topology.js';
import type { ServiceGroup, StackHandle } from '../stack/types.js';

export const GROUPS: readonly ServiceGroup[] = ['db', 'cache', 'broker', 'proxy', 'api', 'worker', 'analytics', 'balancer', 'monitoring'];

/** The names a scenario may target: service names and groups with their members. */
export interface TopologyNames {
  services: string[];
  groups: Record<ServiceGroup, string[]>;
}

type NamedServices = Pick<StackHandle, 'serviceNames' | 'servicesInGroup'>;

/** The default topology's names (used to validate a file when no stack is running). */
export function defaultTopologyNames(nodes?: number): TopologyNames {
  const { services } = defaultTopology(nodes);
  return topologyNamesOf({
    serviceNames: () => services.map((s) => s.name),
    servicesInGroup: (group) => services.filter((s) => s.group === group).map((s) => s.name),
  });
}

export function topologyNamesOf(stack: NamedServices): TopologyNames {
  const groups = Object.fromEntries(GROUPS.map((g) => [g, stack.servicesInGroup(g)])) as Record<ServiceGroup, string[]>;
  return { services: stack.serviceNames(), groups };
}

export function isGroup(name: string): name is ServiceGroup {
  return (GROUPS as readonly string[]).includes(name);
}
