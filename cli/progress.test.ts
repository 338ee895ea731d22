import { describe, expect, it } from 'vitest';
import { progressReporter, progressText } from './progress.js';

describe('progress', () => {
  it('says done/total, elapsed and an estimate from the mean time per unit', () => {
    expect(progressText('runs', 0, 5, 1000)).toBe('runs 0/5 · 1.0 s elapsed · estimating…');
    expect(progressText('runs', 2, 5, 10_000)).toBe('runs 2/5 · 10.0 s elapsed · about 15.0 s left');
    expect(progressText('runs', 5, 5, 90_000)).toBe('runs 5/5 · 1 min 30 s elapsed');
    // 4 s into the third run: 2 runs took 10 s, 3 left at 5 s each, less the 4 s spent
    expect(progressText('runs', 2, 5, 14_000, 4_000)).toBe('runs 2/5 · 14.0 s elapsed · about 11.0 s left');
  });

  it('writes plain lines (no cursor control) when the stream is not a terminal', () => {
    let out = '';
    let t = 0;
    const p = progressReporter({ what: 'runs', total: 2, out: { write: (s: string) => (out += s), isTTY: false }, now: () => t });
    p.log('hello');
    t = 4000;
    p.update(1, 'run 1: PASS');
    p.end();
    expect(out).toBe('hello\nruns 1/2 · 4.0 s elapsed · about 4.0 s left — run 1: PASS\n');
    expect(out).not.toContain('\x1b');
  });

  it('keeps one status line under the log on a terminal and clears it at the end', () => {
    let out = '';
    let t = 0;
    const p = progressReporter({ what: 'runs', total: 4, out: { write: (s: string) => (out += s), isTTY: true }, now: () => t });
    t = 2000;
    p.update(1);
    t = 3000;
    p.log('a log line');
    p.end();
    expect(out).toContain('\r\x1b[2Ka log line\n');
    expect(out).toMatch(/runs 1\/4 · 2\.0 s elapsed · about 6\.0 s left$/m);
    expect(out).toMatch(/runs 1\/4 · 3\.0 s elapsed · about 5\.0 s left$/m);
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
  });
});
