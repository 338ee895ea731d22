/** Scenario targets (a service, a group, a random member, a list) resolved against the stack. */
import type { ServiceGroup, StackHandle } from '../stack/types.js';
import type { TargetDef } from './format.js';
import { StepFailure } from './step-failure.js';
import { isGroup } from './topology-names.js';

export function resolveTargets(stack: StackHandle, target: TargetDef): string[] {
  const members = (g: string) => stack.servicesInGroup(g as ServiceGroup);
  if (Array.isArray(target)) return [...new Set(target.flatMap((t) => resolveTargets(stack, t)))];
  if (typeof target === 'string') return isGroup(target) ? members(target) : [target];
  if ('random' in target) {
    const list = members(target.random);
    if (list.length === 0) throw new StepFailure(`group "${target.random}" has no services`, false);
    return [list[Math.floor(Math.random() * list.length)]!];
  }
  if ('service' in target) return [target.service];
  return members(target.group);
}

export function targetLabel(t: TargetDef): string {
  if (Array.isArray(t)) return t.join(', ');
  if (typeof t === 'string') return t;
  if ('random' in t) return `random ${t.random}`;
  return 'service' in t ? t.service : `group ${t.group}`;
}
