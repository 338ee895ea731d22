/** Live progress of `eventflow up`: one redrawn line per service on a TTY, one line per state change otherwise. */
import chalk from 'chalk';
import type { ProgressEvent } from '../stack/types.js';
import { seconds } from './table.js';

type Phase = ProgressEvent['phase'];

const PHASE_COLOUR: Partial<Record<Phase, (s: string) => string>> = {
  healthy: chalk.green,
  failed: chalk.red,
  skipped: chalk.yellow,
  pending: chalk.dim,
};

/** A phase after which nothing more happens to the service. */
function settled(phase: Phase): boolean {
  return phase === 'healthy' || phase === 'failed' || phase === 'skipped';
}

export class ProgressView {
  private readonly rows = new Map<string, { phase: Phase; detail?: string; at: number; since: number }>();
  private drawn = 0;
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  private timer?: NodeJS.Timeout;
  private readonly t0 = Date.now();

  constructor() {
    if (this.tty) this.timer = setInterval(() => this.draw(), 250);
  }

  on(e: ProgressEvent): void {
    if (e.service === 'stack') {
      this.note(e.phase === 'info' ? chalk.cyan(`» ${e.detail}`) : String(e.detail));
      return;
    }
    if (e.phase === 'info') {
      this.note(chalk.dim(`  ${e.service}: ${e.detail}`));
      return;
    }
    const prev = this.rows.get(e.service);
    const since = e.phase === 'pending' || !prev || prev.phase === 'pending' ? e.elapsedMs : prev.since;
    this.rows.set(e.service, { phase: e.phase, detail: e.detail, at: e.elapsedMs, since });
    if (!this.tty && e.phase !== 'pending') {
      const took = e.phase === 'healthy' ? ` in ${seconds(e.elapsedMs - since)}` : '';
      process.stderr.write(`[${seconds(e.elapsedMs).padStart(6)}] ${e.service.padEnd(11)} ${colour(e.phase)}${took}${e.detail ? chalk.dim(`  ${e.detail}`) : ''}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.draw();
  }

  private note(line: string): void {
    if (this.tty) this.clear();
    process.stderr.write(`${line}\n`);
    if (this.tty) this.draw();
  }

  private clear(): void {
    if (this.drawn > 0) process.stderr.write(`\u001b[${this.drawn}A\u001b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.tty || this.rows.size === 0) return;
    this.clear();
    const now = Date.now() - this.t0;
    const width = Math.max(20, (process.stderr.columns ?? 100) - 36);
    const lines: string[] = [];
    for (const [name, r] of this.rows) {
      const running = !settled(r.phase) && r.phase !== 'pending';
      const time = r.phase === 'healthy' ? seconds(r.at - r.since) : running ? seconds(now - r.since) : '';
      lines.push(`  ${name.padEnd(11)} ${colour(r.phase)} ${time.padStart(6)}  ${chalk.dim((r.detail ?? '').slice(0, width))}`);
    }
    lines.push(chalk.dim(`  total ${seconds(now)}`));
    process.stderr.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

function colour(phase: Phase): string {
  return (PHASE_COLOUR[phase] ?? chalk.cyan)(phase.padEnd(8));
}
