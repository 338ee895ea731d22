/**
 * Semantic checks of fault steps beyond the schema: which parameters each
 * fault kind takes, what they may be (the driver's own checks), who a gray
 * fault may target, and `heal:` steps naming an earlier gray-fault step.
 */
import { checkGrayFault } from '../stack/faults/registry.js';
import { FAULT_ACTIONS, type FaultStepDef, type HealStepDef, type ScenarioFile } from './format.js';
import { GRAY_FAULT_FIELDS, GRAY_FAULT_STEPS, PROXIED_GROUPS, holdMs, isGrayFaultAction, type GrayFaultField } from './gray-fault-steps.js';
import type { Path } from './parameters.js';
import { isGroup, type TopologyNames } from './topology-names.js';

type At = (path: Path, message: string) => void;

/** The services a target names in this topology (unknown names are left to the target check). */
function servicesOf(target: FaultStepDef['target'], topo: TopologyNames): string[] {
  if (Array.isArray(target)) return target.flatMap((t) => servicesOf(t, topo));
  if (typeof target === 'string') return isGroup(target) ? topo.groups[target] : topo.services.includes(target) ? [target] : [];
  if ('random' in target) return isGroup(target.random) ? topo.groups[target.random] : [];
  if ('service' in target) return topo.services.includes(target.service) ? [target.service] : [];
  return topo.groups[target.group] ?? [];
}

function present(def: FaultStepDef): GrayFaultField[] {
  return GRAY_FAULT_FIELDS.filter((f) => def[f] !== undefined);
}

export function checkFaultStep(def: FaultStepDef, path: Path, topo: TopologyNames, section: 'steps' | 'rollback', at: At): void {
  const action = def.fault;
  if (!isGrayFaultAction(action)) {
    for (const f of present(def)) at([...path, f], `"${f}" is a gray-fault parameter: it does not apply to fault ${action}`);
    return;
  }
  if (section === 'rollback') {
    at([...path, 'fault'], `a rollback step cannot apply ${action} (rollback steps heal: ${FAULT_ACTIONS.filter((a) => ['start', 'unpause', 'reconnect', 'restart'].includes(a)).join(', ')}; gray faults are healed automatically)`);
    return;
  }
  const spec = GRAY_FAULT_STEPS[action];
  const takes = [...spec.required, ...spec.optional];
  if (def.signal !== undefined) at([...path, 'signal'], `"signal" applies to fault kill only, not to ${action}`);
  for (const f of present(def)) if (!takes.includes(f)) at([...path, f], `"${f}" does not apply to fault ${action} (it takes: ${takes.join(', ') || 'no parameters'})`);
  const missing = spec.required.filter((f) => def[f] === undefined);
  for (const f of missing) at(path, `fault ${action} needs "${f}"`);
  if (def.duration !== undefined && holdMs(def)! <= 0) at([...path, 'duration'], `duration must be more than 0 (got ${JSON.stringify(def.duration)})`);

  const services = servicesOf(def.target, topo);
  if (spec.throughProxy) {
    const proxied = PROXIED_GROUPS.flatMap((g) => topo.groups[g] ?? []);
    const outside = services.filter((s) => !proxied.includes(s));
    if (outside.length) at([...path, 'target'], `${action} acts on a dependency's connections through the fault proxy: target ${proxied.join(', ')} (not ${outside.join(', ')})`);
  }
  let peers: string[] = [];
  if (def.peers) {
    def.peers.forEach((p, j) => {
      if (!topo.services.includes(p) && !isGroup(p)) at([...path, 'peers', j], `unknown service or group "${p}" (services: ${topo.services.join(', ')})`);
    });
    peers = [...new Set(def.peers.flatMap((p) => servicesOf(p, topo)))];
  }
  if (def.peer !== undefined && !topo.services.includes(def.peer)) at([...path, 'peer'], `unknown service "${def.peer}" (services: ${topo.services.join(', ')})`);
  if (missing.length) return;

  // The driver's own parameter checks, on every target (the same problem said once).
  const reported = new Set<string>();
  for (const service of services.length ? services : ['target']) {
    for (const problem of checkGrayFault(spec.build(def, service, peers))) {
      if (reported.has(problem)) continue;
      reported.add(problem);
      const field = takes.find((f) => problem.includes(f));
      at(field ? [...path, field] : path, problem);
    }
  }
}

/** `heal: id` must name an earlier gray-fault step. */
export function checkHealStep(def: HealStepDef, index: number, steps: ScenarioFile['steps'], at: At): void {
  const target = steps.slice(0, index).find((s) => s.id === def.heal);
  if (!target) at(['steps', index, 'heal'], `heal "${def.heal}": no earlier step has this id`);
  else if (!('fault' in target) || !isGrayFaultAction(target.fault)) {
    at(['steps', index, 'heal'], `heal "${def.heal}": that step is not a gray fault (heal undoes loss, partition, bandwidth, throttle, db-lock, latency, timeout, reset; use start, unpause or reconnect for the others)`);
  }
}
