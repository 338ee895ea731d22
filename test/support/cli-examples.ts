/**
 * Every `eventflow …` command a user can copy from the repository: the run
 * steps of .github/workflows/*.yml (matrix values and `for` loops expanded) and
 * the README's shell blocks and inline code. cli/examples.test.ts checks each
 * one against the CLI's own argument and scenario-parameter validation.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface CliExample {
  /** `file:line` (line of the step or of the Markdown text) and, for a matrix, its values. */
  where: string;
  /** The arguments after `eventflow` (or `bin/eventflow.js`). */
  argv: string[];
}

/** POSIX-ish word splitting: quotes and backslashes, no globbing. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word = (word ?? '') + line[++i];
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word = word ?? '';
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} in: ${line}`);
  if (word !== undefined) words.push(word);
  return words;
}

/** `for s in a b c; do body; done` → body once per value, with $s / ${s} replaced. */
function expandForLoops(script: string): string[] {
  const m = /^\s*for\s+(\w+)\s+in\s+([^;]*);\s*do\s+([\s\S]*?);?\s*done\s*$/.exec(script);
  if (!m) return [script];
  const [, name, values, body] = m as unknown as [string, string, string, string];
  return shellWords(values).map((v) => body.replaceAll(`\${${name}}`, v).replace(new RegExp(`\\$${name}\\b`, 'g'), v));
}

/** The argv of every eventflow invocation in a shell snippet (one or several lines). */
export function eventflowInvocations(script: string): string[][] {
  const out: string[][] = [];
  const joined = script.replace(/\\\n/g, ' ');
  for (const line of joined.split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const expanded of expandForLoops(code)) {
      for (const simple of expanded.split(/&&|\|\||;|\|/)) {
        const words = shellWords(simple);
        const at = words.findIndex((w) => w === 'eventflow' || /(^|\/)bin\/eventflow\.js$/.test(w));
        if (at >= 0) out.push(words.slice(at + 1));
      }
    }
  }
  return out;
}

type Matrix = Record<string, unknown> & { include?: Record<string, unknown>[]; exclude?: Record<string, unknown>[] };

/** The combinations GitHub Actions runs for a `strategy.matrix` (include/exclude as documented). */
export function matrixCombinations(matrix: Matrix | undefined): Record<string, string>[] {
  if (!matrix) return [{}];
  const axes = Object.entries(matrix).filter(([k, v]) => k !== 'include' && k !== 'exclude' && Array.isArray(v)) as [string, unknown[]][];
  let combos: Record<string, string>[] = [{}];
  for (const [key, values] of axes) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: String(v) })));
  if (axes.length === 0) combos = [];
  const matches = (c: Record<string, string>, pattern: Record<string, unknown>) => Object.entries(pattern).every(([k, v]) => c[k] === String(v));
  // An include entry extends every original combination whose axis values it does not change;
  // when it extends none, it is a combination of its own (later entries never extend those).
  const original = combos.filter((c) => !(matrix.exclude ?? []).some((e) => matches(c, e)));
  const added: Record<string, string>[] = [];
  const axisKeys = axes.map(([k]) => k);
  for (const inc of matrix.include ?? []) {
    const entry = Object.fromEntries(Object.entries(inc).map(([k, v]) => [k, String(v)]));
    const targets = original.filter((c) => Object.entries(entry).every(([k, v]) => !axisKeys.includes(k) || c[k] === v));
    if (targets.length > 0) for (const t of targets) Object.assign(t, entry);
    else added.push(entry);
  }
  const all = [...original, ...added];
  return all.length > 0 ? all : [{}];
}

interface WorkflowStep {
  run?: string;
}
interface Workflow {
  jobs?: Record<string, { strategy?: { matrix?: Matrix }; steps?: WorkflowStep[] }>;
}

export function workflowExamples(file: string, text = readFileSync(file, 'utf8')): CliExample[] {
  const wf = parse(text) as Workflow;
  const lines = text.split('\n');
  const out: CliExample[] = [];
  for (const job of Object.values(wf.jobs ?? {})) {
    const combos = matrixCombinations(job.strategy?.matrix);
    for (const step of job.steps ?? []) {
      if (typeof step.run !== 'string') continue;
      const firstLine = step.run.split('\n')[0]!.trim();
      const line = lines.findIndex((l) => l.includes(firstLine)) + 1;
      for (const combo of combos) {
        const script = step.run.replace(/\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g, (_, k: string) => {
          if (!(k in combo)) throw new Error(`${file}:${line}: matrix.${k} is not defined by the job's matrix`);
          return combo[k]!;
        });
        const label = Object.keys(combo).length ? ` (${Object.entries(combo).map(([k, v]) => `${k}=${v}`).join(', ')})` : '';
        for (const argv of eventflowInvocations(script)) out.push({ where: `${file}:${line}${label}`, argv });
      }
    }
  }
  return out;
}

/** Usage synopses (`eventflow up [--nodes N]`, `<file>`, `a\|b`) document a command's shape: not commands. */
const SYNOPSIS = /[[\]<>…]|\\\||\.\.\./;

export function markdownExamples(file: string, text = readFileSync(file, 'utf8')): CliExample[] {
  const out: CliExample[] = [];
  const lines = text.split('\n');
  let fence: string | undefined;
  let shellFence = false;
  lines.forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const f = /^\s*(```+|~~~+)\s*([\w-]*)/.exec(raw);
    if (f) {
      if (!fence) {
        fence = f[1];
        shellFence = ['', 'sh', 'bash', 'shell', 'console'].includes(f[2]!);
      } else if (raw.trim().startsWith(fence)) fence = undefined;
      return;
    }
    if (fence) {
      if (shellFence) for (const argv of eventflowInvocations(raw.replace(/^\s*\$\s+/, ''))) out.push({ where, argv });
      return;
    }
    for (const m of raw.matchAll(/`([^`]+)`/g)) {
      const span = m[1]!;
      if (!/(^|\s|\/)eventflow(\.js)?\s/.test(`${span} `) || SYNOPSIS.test(span)) continue;
      // A bare `eventflow` names the tool in prose; a command has arguments.
      for (const argv of eventflowInvocations(span)) if (argv.length > 0) out.push({ where, argv });
    }
  });
  return out;
}
