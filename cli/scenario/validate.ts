/**
 * Scenario validation: YAML (with source positions) → parameters resolved →
 * `${param}` interpolated → zod schema → semantic checks (targets exist, step
 * ids, references). Every problem becomes `file:line:col: message`; nothing
 * runs until a file is clean.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';

import {
  DURATION_RE,
  ScenarioSchema,
  STEP_KINDS,
  stepKindOf,
  type ParamType,
  type ScenarioFile,
  type TargetDef,
} from './format.js';
import { checkParamValue, coerceParam, describeValue as describe, interpolate, type ParamValue, type Path } from './parameters.js';
import { defaultTopologyNames, isGroup, type TopologyNames } from './topology-names.js';
import { checkFaultStep, checkHealStep } from './validate-gray-faults.js';

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

export type { ParamValue } from '../../reports/model.js';
export { coerceParam, interpolate } from './parameters.js';

export interface ValidateOptions {
  /** Raw overrides from the CLI (`--set k=v`, `--purchases N`): parsed by the parameter's type. */
  overrides?: Record<string, string>;
  topology?: TopologyNames;
}

export type ValidationResult =
  | { ok: true; scenario: ScenarioFile; params: Record<string, ParamValue>; source: string; file: string }
  | { ok: false; errors: Diagnostic[] };

export async function validateScenarioFile(file: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    return { ok: false, errors: [{ file, line: 1, col: 1, message: `cannot read file: ${(error as Error).message}` }] };
  }
  return validateScenarioSource(source, file, options);
}

export function validateScenarioSource(source: string, file: string, options: ValidateOptions = {}): ValidationResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const errors: Diagnostic[] = [];
  const at = (offset: number, message: string) => {
    const pos = lineCounter.linePos(offset);
    errors.push({ file, line: pos.line, col: pos.col, message });
  };
  const atPath = (path: Path, message: string, preferKey = false) => at(offsetOf(doc, path, preferKey), message);

  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      errors.push({ file, line: pos.line, col: pos.col, message: `YAML syntax error: ${firstLine(e.message)}` });
    }
    return { ok: false, errors };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    at(0, `YAML error: ${(error as Error).message}`);
    return { ok: false, errors };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    at(0, 'a scenario file must be a YAML mapping (version, name, steps, …)');
    return { ok: false, errors };
  }
  const root = raw as Record<string, unknown>;
  if (root.version !== 1) {
    atPath(['version'], root.version === undefined ? 'missing required field "version" (this tool reads version: 1)' : `unsupported format version ${JSON.stringify(root.version)} (this tool reads version: 1)`);
    return { ok: false, errors };
  }

  // 1. parameters: defaults, overrides, types.
  const params: Record<string, ParamValue> = {};
  const paramTypes: Record<string, ParamType> = {};
  const rawParams = root.parameters;
  if (rawParams !== undefined && (typeof rawParams !== 'object' || rawParams === null || Array.isArray(rawParams))) {
    atPath(['parameters'], '"parameters" must be a mapping of name → {type, default}');
  } else if (rawParams) {
    for (const [name, def] of Object.entries(rawParams as Record<string, unknown>)) {
      if (!def || typeof def !== 'object') continue; // reported by the schema below
      const { type, default: dflt, min, max } = def as { type?: unknown; default?: unknown; min?: unknown; max?: unknown };
      if (typeof type !== 'string' || !['integer', 'number', 'string', 'boolean', 'duration'].includes(type)) continue;
      paramTypes[name] = type as ParamType;
      const problem = checkParamValue(type as ParamType, dflt, min, max);
      if (problem) {
        atPath(['parameters', name, 'default'], `parameter "${name}": default ${problem}`);
        continue;
      }
      params[name] = dflt as ParamValue;
    }
  }
  for (const [name, text] of Object.entries(options.overrides ?? {})) {
    const type = paramTypes[name];
    if (!type) {
      const known = Object.keys(paramTypes);
      errors.push({ file, line: 1, col: 1, message: `unknown parameter "${name}" given on the command line (this scenario declares: ${known.length ? known.join(', ') : 'none'})` });
      continue;
    }
    const value = coerceParam(type, text);
    const def = (rawParams as Record<string, { min?: unknown; max?: unknown }>)[name]!;
    const problem = value === undefined ? `expected ${type}` : checkParamValue(type, value, def.min, def.max);
    if (problem) {
      errors.push({ file, line: 1, col: 1, message: `parameter "${name}" = "${text}": ${problem}` });
      continue;
    }
    params[name] = value!;
  }

  // 2. interpolation of ${name} everywhere except in the parameter definitions.
  const interpolated = interpolate(root, [], (path, message) => atPath(path, message), params, paramTypes);
  const early = errors.length;

  // 3. structure (problems at a position already reported are not repeated).
  const parsed = ScenarioSchema.safeParse(interpolated);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) reportIssue(issue as Issue, [], interpolated, atPath);
    return { ok: false, errors: sortDiagnostics(dedupe(errors, early)) };
  }
  if (early > 0) return { ok: false, errors: sortDiagnostics(errors) };

  // 4. semantics.
  semanticChecks(parsed.data, options.topology ?? defaultTopologyNames(), atPath);
  if (errors.length > 0) return { ok: false, errors: sortDiagnostics(errors) };
  return { ok: true, scenario: parsed.data, params, source, file };
}

// ---------------------------------------------------------------- zod issues → messages

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  keys?: string[];
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  errors?: Issue[][];
  format?: string;
}

function reportIssue(issue: Issue, prefix: Path, root: unknown, atPath: (path: Path, message: string, preferKey?: boolean) => void): void {
  const path = [...prefix, ...(issue.path as Path)];
  const value = getAt(root, path);
  const field = fieldName(path);
  switch (issue.code) {
    case 'invalid_union': {
      const option = chooseUnionOption(path, value, issue.errors ?? []);
      if (option === 'unknown-step') {
        const keys = value && typeof value === 'object' ? Object.keys(value).filter((k) => k !== 'id' && k !== 'description') : [];
        atPath(path, `unknown step kind${keys.length ? ` "${keys[0]}"` : ''} (a step has one of: ${STEP_KINDS.join(', ')})`);
        return;
      }
      if (option === 'unknown-probe') {
        const kind = (value as Record<string, unknown> | undefined)?.probe;
        atPath(kind === undefined ? path : [...path, 'probe'], kind === undefined ? 'missing required field "probe" (http, healthy or cluster-ok)' : `unknown probe kind ${JSON.stringify(kind)} (expected http, healthy or cluster-ok)`);
        return;
      }
      if (option === 'bad-target') {
        if (value === undefined) return atPath(path, `missing required field "${field}"`);
        atPath(path, `${field}: expected a service or group name, {random: group}, {service: name} or {group: name}, got ${describe(value)}`);
        return;
      }
      for (const sub of issue.errors?.[option] ?? []) reportIssue(sub, path, root, atPath);
      return;
    }
    case 'invalid_type':
      if (value === undefined) atPath(path, `missing required field "${field}"`);
      else atPath(path, `${field}: expected ${issue.expected === 'int' ? 'an integer' : article(issue.expected ?? 'value')}, got ${describe(value)}`);
      return;
    case 'unrecognized_keys':
      for (const key of issue.keys ?? []) atPath([...path, key], `unknown field "${key}"${path.length ? ` in ${fieldName(path)}` : ''}`, true);
      return;
    case 'invalid_value':
      if (value === undefined) atPath(path, `missing required field "${field}"`);
      else atPath(path, `${field}: ${describe(value)} is not one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`);
      return;
    case 'too_small':
      if (issue.origin === 'array') atPath(path, `${field}: needs at least ${issue.minimum} item(s)`);
      else if (issue.origin === 'string') atPath(path, `${field}: must not be empty`);
      else atPath(path, `${field}: must be >= ${issue.minimum} (got ${describe(value)})`);
      return;
    case 'too_big':
      atPath(path, `${field}: must be <= ${issue.maximum} (got ${describe(value)})`);
      return;
    case 'invalid_format':
      atPath(path, `${field}: ${issue.message.startsWith('Invalid string') ? `${describe(value)} has the wrong format` : `${describe(value)} is not ${issue.message}`}`);
      return;
    default:
      atPath(path, `${field}: ${issue.message}`);
  }
}

function chooseUnionOption(path: Path, value: unknown, options: Issue[][]): number | 'unknown-step' | 'unknown-probe' | 'bad-target' {
  const parentKey = path[path.length - 2];
  const last = path[path.length - 1];
  if (parentKey === 'steps' && typeof last === 'number') {
    const kind = stepKindOf(value);
    if (!kind) return 'unknown-step';
    return STEP_KINDS.indexOf(kind);
  }
  if (parentKey === 'steady-state' && typeof last === 'number') {
    const kind = (value as Record<string, unknown> | undefined)?.probe;
    if (kind === 'http') return 0;
    if (kind === 'healthy') return 1;
    if (kind === 'cluster-ok') return 2;
    return 'unknown-probe';
  }
  if (last === 'target' || (parentKey === 'targets' && typeof last === 'number')) {
    if (typeof value === 'string') return 0;
    if (Array.isArray(value)) return 4;
    if (value && typeof value === 'object') {
      if ('random' in value) return 1;
      if ('service' in value) return 2;
      if ('group' in value) return 3;
    }
    return 'bad-target';
  }
  // Generic: prefer an option that matched the value's type, then the fewest problems.
  let best = 0;
  let bestScore = Infinity;
  options.forEach((errs, i) => {
    const score = errs.some((e) => e.code === 'invalid_type' && e.path.length === 0) ? 1000 + errs.length : errs.length;
    if (score < bestScore) {
      best = i;
      bestScore = score;
    }
  });
  return best;
}

// ---------------------------------------------------------------- semantics

function semanticChecks(s: ScenarioFile, topo: TopologyNames, atPath: (path: Path, message: string) => void): void {
  const checkTarget = (target: TargetDef, path: Path) => {
    const problem = targetProblem(target, topo);
    if (problem) atPath(path, problem);
  };
  const ids = new Map<string, number>();
  const backgroundIds = new Set<string>();
  const loadIds = new Set<string>();
  s.steps.forEach((step, i) => {
    if (step.id) {
      if (ids.has(step.id)) atPath(['steps', i, 'id'], `duplicate step id "${step.id}" (first used by step ${ids.get(step.id)! + 1})`);
      ids.set(step.id, i);
    }
    if ('fault' in step) {
      checkTarget(step.target, ['steps', i, 'target']);
      checkFaultStep(step, ['steps', i], topo, 'steps', atPath);
    }
    if ('heal' in step) checkHealStep(step, i, s.steps, atPath);
    if ('wait' in step) {
      if (step.wait.until === 'service-healthy' && !step.wait.target) atPath(['steps', i, 'wait'], 'wait until service-healthy needs a "target"');
      if (step.wait.target) checkTarget(step.wait.target, ['steps', i, 'wait', 'target']);
    }
    if ('load' in step) {
      const l = step.load;
      if (l.purchases === undefined && l.reads === undefined) atPath(['steps', i, 'load'], 'a load step needs "purchases" and/or "reads"');
      if (l.rate !== undefined && l.duration === undefined) atPath(['steps', i, 'load', 'rate'], '"rate" needs a "duration" (requests per second for how long)');
      if (l.duration !== undefined && l.rate === undefined) atPath(['steps', i, 'load', 'duration'], '"duration" needs a "rate"');
      for (const option of ['keyless', 'duplicate'] as const) {
        if (l[option] !== undefined && l[option] > 0 && !l.purchases) atPath(['steps', i, 'load', option], `"${option}" shapes purchases: this load step sends none`);
      }
      if (l.retry?.sameKey !== undefined && l.retry.attempts < 2) atPath(['steps', i, 'load', 'retry', 'sameKey'], '"sameKey" needs "attempts" of 2 or more (attempts count the first send)');
      if (step.id) loadIds.add(step.id);
      if (l.background) {
        if (!step.id) atPath(['steps', i, 'load', 'background'], 'a background load step needs an "id" (for await-load and verifications)');
        else backgroundIds.add(step.id);
      }
    }
    if ('await-load' in step && !backgroundIds.has(step['await-load'])) {
      atPath(['steps', i, 'await-load'], `await-load "${step['await-load']}": no earlier background load step has this id`);
    }
  });
  s['steady-state']?.forEach((probe, i) => {
    if (probe.probe === 'healthy') probe.targets.forEach((t, j) => checkTarget(t, ['steady-state', i, 'targets', j]));
  });
  s.rollback?.forEach((step, i) => {
    checkTarget(step.target, ['rollback', i, 'target']);
    checkFaultStep(step, ['rollback', i], topo, 'rollback', atPath);
  });
  s.verify?.expect?.forEach((e, i) => {
    if (!loadIds.has(e.step)) atPath(['verify', 'expect', i, 'step'], `expect: no load step has id "${e.step}" (load step ids: ${[...loadIds].join(', ') || 'none'})`);
    if (!e.status && !e.http && !e.outcome) atPath(['verify', 'expect', i], 'an expectation needs "status", "http" or "outcome"');
  });
  s.verify?.thresholds?.forEach((t, i) => {
    if (t.metric === 'latency' && t.percentile === undefined) atPath(['verify', 'thresholds', i], 'a latency threshold needs a "percentile"');
    const isRate = t.metric === 'error-rate' || t.metric === 'unknown-rate';
    if (isRate && (typeof t.max !== 'number' || t.max > 1)) atPath(['verify', 'thresholds', i, 'max'], `${t.metric}: "max" is a ratio between 0 and 1`);
    if (!isRate && typeof t.max === 'string' && !DURATION_RE.test(t.max)) atPath(['verify', 'thresholds', i, 'max'], 'expected a duration');
  });
}

export function targetProblem(target: TargetDef, topo: TopologyNames): string | undefined {
  const known = `services: ${topo.services.join(', ')}; groups: ${Object.keys(topo.groups).join(', ')}`;
  if (Array.isArray(target)) return target.map((t) => targetProblem(t, topo)).find((p) => p !== undefined);
  if (typeof target === 'string') {
    if (topo.services.includes(target) || isGroup(target)) return undefined;
    return `unknown service or group "${target}" (${known})`;
  }
  if ('random' in target) return isGroup(target.random) ? undefined : `random: "${target.random}" is not a group (groups: ${Object.keys(topo.groups).join(', ')})`;
  if ('service' in target) return topo.services.includes(target.service) ? undefined : `unknown service "${target.service}" (${known})`;
  return undefined;
}

// ---------------------------------------------------------------- positions and helpers

function offsetOf(doc: Document, path: Path, preferKey: boolean): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) return offset; // a missing field: point at its parent
      const keyOffset = rangeStart(pair.key);
      if (preferKey && seg === path[path.length - 1] && keyOffset !== undefined) return keyOffset;
      node = pair.value;
      offset = rangeStart(node) ?? keyOffset ?? offset;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as YamlNode | undefined)?.range;
  return range ? range[0] : undefined;
}

function getAt(root: unknown, path: Path): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function fieldName(path: Path): string {
  const named = [...path].reverse().find((p) => typeof p === 'string');
  const idx = path.length && typeof path[path.length - 1] === 'number' ? `[${path[path.length - 1]}]` : '';
  return `${named ?? 'document'}${idx}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return [...d].sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Drop exact repeats, and schema problems (index >= early) at a position an earlier problem already names. */
function dedupe(d: Diagnostic[], early: number): Diagnostic[] {
  const seen = new Set<string>();
  const positions = new Set(d.slice(0, early).map((x) => `${x.line}:${x.col}`));
  return d.filter((x, i) => {
    const k = formatDiagnostic(x);
    if (seen.has(k) || (i >= early && positions.has(`${x.line}:${x.col}`))) return false;
    seen.add(k);
    return true;
  });
}


