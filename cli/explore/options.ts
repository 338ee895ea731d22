/**
 * `eventflow explore`'s options, checked at the edge: fault kinds from the
 * registry, targets against the stack's topology, a duration that leaves room
 * for a fault. Every problem is a UsageError (exit 2, nothing started).
 */
import { randomInt } from 'node:crypto';
import { UsageError } from '../errors.js';
import { parseDuration, DURATION_RE } from '../scenario/format.js';
import { isGroup, type TopologyNames } from '../scenario/topology-names.js';
import type { ServiceGroup } from '../stack/types.js';
import { DEFAULT_EXPLORE_FAULT_KINDS, EXPLORE_FAULT_KINDS, faultKind, isExploreFaultKind, type ExploreFaultKind } from './fault-kinds.js';
import { MAX_SEED } from './rng.js';
import { candidateTargets, MIN_DURATION_MS, type ExploreOptions } from './schedule.js';

/** What faults hit unless --targets says otherwise: the data path (not the gateway, analytics or monitoring). */
export const DEFAULT_TARGET_GROUPS: readonly ServiceGroup[] = ['db', 'cache', 'broker', 'api', 'worker'];
export const MAX_DURATION_MS = 10 * 60_000;

export interface RawExploreOptions {
  seed?: number;
  duration: string;
  faults?: string;
  targets?: string;
  maxFaults: number;
  rate: number;
}

export interface CheckedExploreOptions {
  seed: number;
  explore: ExploreOptions;
}

export function checkExploreOptions(raw: RawExploreOptions, topology: TopologyNames): CheckedExploreOptions {
  if (raw.seed !== undefined && (raw.seed < 0 || raw.seed > MAX_SEED)) throw new UsageError(`--seed must be from 0 to ${MAX_SEED}`);
  const explore: ExploreOptions = {
    durationMs: checkDuration(raw.duration),
    kinds: parseKinds(raw.faults),
    ...resolveTargets(raw.targets, topology),
    maxFaults: raw.maxFaults,
    rate: raw.rate,
  };
  for (const kind of explore.kinds) {
    const spec = faultKind(kind);
    if (!candidateTargets(spec, explore).services.length) throw new UsageError(`--faults ${kind} acts on ${spec.appliesTo?.join(', ')} only, and --targets names none of those`);
  }
  return { seed: raw.seed ?? randomInt(0, MAX_SEED), explore };
}

function checkDuration(text: string): number {
  if (!DURATION_RE.test(text)) throw new UsageError(`--duration "${text}": expected a duration like 20s, 1m or 30000ms`);
  const ms = parseDuration(text, 0);
  if (ms < MIN_DURATION_MS || ms > MAX_DURATION_MS) throw new UsageError(`--duration ${text}: must be from ${MIN_DURATION_MS / 1000}s to ${MAX_DURATION_MS / 60_000}m (faults need room in the load)`);
  return ms;
}

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

export function parseKinds(text: string | undefined): ExploreFaultKind[] {
  if (text === undefined) return [...DEFAULT_EXPLORE_FAULT_KINDS];
  const names = list(text);
  const unknown = names.filter((n) => !isExploreFaultKind(n));
  if (unknown.length || !names.length) throw new UsageError(`--faults: ${unknown.length ? `unknown kind${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}` : 'empty list'} (explore knows: ${EXPLORE_FAULT_KINDS.join(', ')})`);
  return [...new Set(names as ExploreFaultKind[])];
}

/** Services and groups → the services faults may hit, and the groups a fault may hit whole (all members allowed, two or more). */
export function resolveTargets(text: string | undefined, topo: TopologyNames): Pick<ExploreOptions, 'targets' | 'groups' | 'groupOf'> {
  const names = text === undefined ? [...DEFAULT_TARGET_GROUPS] : list(text);
  const targets: string[] = [];
  for (const name of names) {
    if (isGroup(name)) targets.push(...topo.groups[name]);
    else if (topo.services.includes(name)) targets.push(name);
    else throw new UsageError(`--targets: unknown service or group "${name}" (services: ${topo.services.join(', ')}; groups: ${Object.keys(topo.groups).join(', ')})`);
  }
  const unique = topo.services.filter((s) => targets.includes(s));
  if (!unique.length) throw new UsageError('--targets: no service to fault');
  const groups = Object.fromEntries(Object.entries(topo.groups).filter(([, members]) => members.length > 1 && members.every((m) => unique.includes(m))));
  const groupOf = Object.fromEntries(Object.entries(topo.groups).flatMap(([group, members]) => members.filter((m) => unique.includes(m)).map((m) => [m, group])));
  return { targets: unique, groups, groupOf };
}
