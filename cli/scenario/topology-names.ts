import type { ServiceGroup, StackHandle } from '../stack/types.js';

export const GROUPS: readonly ServiceGroup[] = ['db', 'cache', 'broker', 'api', 'worker', 'analytics', 'balancer', 'monitoring'];

/** The names a scenario may target: service names and groups with their members. */
export interface TopologyNames {
  services: string[];
  groups: Record<ServiceGroup, string[]>;
}

/** The default topology's names (used to validate a file when no stack is running). */
export function defaultTopologyNames(nodes = 3): TopologyNames {
  const api = Array.from({ length: nodes }, (_, i) => `api-${i + 1}`);
  const groups: Record<ServiceGroup, string[]> = {
    db: ['postgres'],
    cache: ['redis'],
    broker: ['rabbitmq'],
    api,
    worker: ['notifier'],
    analytics: ['analytics'],
    balancer: ['nginx'],
    monitoring: ['prometheus', 'grafana'],
  };
  return { services: Object.values(groups).flat(), groups };
}

export function topologyNamesOf(stack: Pick<StackHandle, 'serviceNames' | 'servicesInGroup'>): TopologyNames {
  const groups = Object.fromEntries(GROUPS.map((g) => [g, stack.servicesInGroup(g)])) as Record<ServiceGroup, string[]>;
  return { services: stack.serviceNames(), groups };
}

export function isGroup(name: string): name is ServiceGroup {
  return (GROUPS as readonly string[]).includes(name);
}
