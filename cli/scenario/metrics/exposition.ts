/**
 * The Prometheus text exposition format (what a service's /metrics answers),
 * read into flat samples. Only the families a caller asks for are kept, so a
 * long run sampled four times a second stays small.
 */

export interface Sample {
  /** The sample's name with its suffix (`…_bucket`, `…_count`). */
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;

function unescape(v: string): string {
  return v.replace(/\\(n|\\|")/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseValue(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** Samples of `text` whose name starts with one of `families` (all of them when omitted). Malformed lines are skipped. */
export function parseExposition(text: string, families?: readonly string[]): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const name = m[1]!;
    if (families && !families.some((f) => name === f || name.startsWith(`${f}_`))) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = unescape(l[2]!);
    const value = parseValue(m[3]!);
    if (!Number.isNaN(value)) out.push({ name, labels, value });
  }
  return out;
}
