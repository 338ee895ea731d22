/** Scenario parameters: typed values, `--set` coercion, `${name}` interpolation. */
import type { ParamValue } from '../../reports/model.js';
import { DURATION_RE, PARAM_REF_RE, type ParamType } from './format.js';

export type { ParamValue } from '../../reports/model.js';

/** Where in the document a value sits (keys and list indexes). */
export type Path = (string | number)[];

export function checkParamValue(type: ParamType, value: unknown, min: unknown, max: unknown): string | undefined {
  switch (type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `expected an integer, got ${describeValue(value)}`;
      break;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `expected a number, got ${describeValue(value)}`;
      break;
    case 'string':
      if (typeof value !== 'string') return `expected a string, got ${describeValue(value)}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `expected true or false, got ${describeValue(value)}`;
      break;
    case 'duration':
      if (!(typeof value === 'number' && value >= 0) && !(typeof value === 'string' && DURATION_RE.test(value))) return `expected a duration like 500ms, 10s or 2m, got ${describeValue(value)}`;
      break;
  }
  if (typeof value === 'number') {
    if (typeof min === 'number' && value < min) return `must be >= ${min} (got ${value})`;
    if (typeof max === 'number' && value > max) return `must be <= ${max} (got ${value})`;
  }
  return undefined;
}

export function coerceParam(type: ParamType, text: string): ParamValue | undefined {
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(text.trim()) ? Number(text) : undefined;
    case 'number':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'duration':
      return DURATION_RE.test(text) ? text : /^\d+$/.test(text) ? Number(text) : undefined;
    case 'string':
      return text;
  }
}

/** Replace `${name}` references; a whole-value reference keeps the parameter's type. */
export function interpolate(
  value: unknown,
  path: Path,
  report: (path: Path, message: string) => void,
  params: Record<string, ParamValue>,
  declared: Record<string, ParamType> = {},
): unknown {
  if (path.length === 1 && path[0] === 'parameters') return value;
  if (typeof value === 'string') {
    const whole = PARAM_REF_RE.exec(value);
    if (whole) {
      const name = whole[1]!;
      if (name in params) return params[name];
      report(path, unknownParamMessage(name, declared, params));
      return value;
    }
    return value.replace(/\$\{([^}]*)\}/g, (match, name: string) => {
      if (name in params) return String(params[name]);
      report(path, unknownParamMessage(name, declared, params));
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, [...path, i], report, params, declared));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], report, params, declared)]));
  }
  return value;
}

function unknownParamMessage(name: string, declared: Record<string, ParamType>, params: Record<string, ParamValue>): string {
  if (name in declared && !(name in params)) return `parameter "${name}" has an invalid default`;
  const known = Object.keys(params);
  return `unknown parameter "\${${name}}" (declared: ${known.length ? known.join(', ') : 'none'})`;
}

/** A value as a message shows it: `"text"`, `number 5`, `a list`… */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
