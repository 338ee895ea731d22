/** A plain-text table for the terminal: columns padded to the widest cell, ANSI colours ignored when measuring. */
import chalk from 'chalk';

const ANSI = /\u001b\[[0-9;]*m/g;

function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/** Rows of cells, with an optional bold header and a dim rule under it. The last column is not padded. */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  if (all.length === 0) return '';
  const widths = all[0]!.map((_, i) => Math.max(...all.map((r) => visibleLength(r[i] ?? ''))));
  const line = (r: string[]): string =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat(widths[i]! - visibleLength(cell))))
      .join('  ')
      .trimEnd();
  const lines = all.map(line);
  if (header) {
    lines[0] = chalk.bold(lines[0]!);
    lines.splice(1, 0, chalk.dim(widths.map((w) => '─'.repeat(w)).join('  ')));
  }
  return lines.join('\n');
}

/** Milliseconds as seconds with one decimal: `12.3s`. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
