/**
 * End to end: the gray-fault scenario files (written from scenarios/README.md)
 * against a real stack, a fault this host cannot apply (exit 3, nothing
 * started), a bad parameter (exit 2), and Ctrl-C in the middle of a fault
 * (rollback waits until the healed node is healthy: exit 130, no warning).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, explain, reportOf, REPORTS, STACK, useTestStack } from './harness.js';

useTestStack();

const run = (file: string, extraEnv: Record<string, string> = {}) => cli(['scenario', `scenarios/${file}.yaml`, '--stack', STACK, '--report-dir', REPORTS, '--no-metrics'], extraEnv, 240_000);

describe('gray faults from scenario files (real stack)', () => {
  it.each([
    ['db-latency', 'latency'],
    ['db-lock', 'db-lock'],
    ['packet-loss', 'loss'],
    ['cpu-throttle', 'throttle'],
    ['bandwidth', 'bandwidth'],
    ['db-partition', 'partition'],
    ['db-reset', 'reset'],
    ['db-freeze', 'timeout'],
  ])('%s passes; its %s window is healed by the step, not by the rollback', async (file, kind) => {
    const r = await run(file);
    expect(r.code, explain(r)).toBe(0);
    const { report } = reportOf(r);
    expect(report.checker).toMatchObject({ lost: { count: 0 }, duplicated: { count: 0 }, oversold: { count: 0 } });
    const windows = report.faultWindows.filter((w) => w.action === kind);
    expect(windows.length, JSON.stringify(report.faultWindows)).toBeGreaterThan(0);
    for (const w of windows) {
      expect(w.endMs).toBeGreaterThan(w.startMs);
      expect(w.healedBy).not.toBe('rollback');
    }
    // load ran during the window (the phase statistics saw it)
    expect(report.history.ops.some((o) => o.invokeMs >= windows[0]!.startMs && o.invokeMs <= windows[0]!.endMs!)).toBe(true);
  });

  it('notifier-kill-mid-work: SIGKILL while persisting a backlog → nothing lost or duplicated', async () => {
    const r = await run('notifier-kill-mid-work');
    expect(r.code, explain(r)).toBe(0);
    const { report } = reportOf(r);
    expect(report.checker!.persisted).toBe(report.checker!.acknowledged);
    expect(report.checker).toMatchObject({ lost: { count: 0 }, duplicated: { count: 0 } });
    expect(report.faultWindows.some((w) => w.service === 'notifier' && w.action === 'kill')).toBe(true);
  });

  it('a fault this host cannot apply → exit 3 naming what is missing, no load and no fault', async () => {
    const r = await run('packet-loss', { EVENTFLOW_NETTOOLS_IMAGE: 'localhost/eventflow/no-such-nettools:none' });
    expect(r.code, explain(r)).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/cannot apply loss on api-2.*no-such-nettools/s);
    const { report } = reportOf(r);
    expect(report.history.ops).toHaveLength(0);
    expect(report.faultWindows).toHaveLength(0);
  });

  it('a loss of 150 % → exit 2 with file:line:col, nothing started', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ef-gray-')), 'bad.yaml');
    writeFileSync(file, 'version: 1\nname: bad\nsteps:\n  - fault: loss\n    target: api-2\n    percent: 150\n');
    const r = await cli(['scenario', file, '--stack', STACK, '--report-dir', REPORTS], {}, 60_000);
    expect(r.code, explain(r)).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:6:14: loss percent must be in \(0, 100\], got 150/);
  });

  it('Ctrl-C in the middle of a fault: rollback restarts the node and waits until it is healthy → exit 130, no "not healthy" warning', async () => {
    let interrupted = false;
    const r = await cli(['scenario', 'node-kill', '--stack', STACK, '--report-dir', REPORTS, '--no-metrics'], {}, 240_000, (child, output) => {
      const poll = setInterval(() => {
        if (/✔ kill-node/.test(output()) && !interrupted) {
          interrupted = true;
          clearInterval(poll);
          setTimeout(() => child.kill('SIGINT'), 300);
        }
      }, 100);
      child.on('close', () => clearInterval(poll));
    });
    expect(interrupted, explain(r)).toBe(true);
    expect(r.code, explain(r)).toBe(130);
    expect(r.stdout + r.stderr).not.toMatch(/not healthy/);
    expect(r.stdout, explain(r)).toMatch(/rollback: .*api-\d.* healthy/);
    const status = await cli(['status', '--stack', STACK], {}, 60_000);
    expect(status.stdout).toMatch(/\b(\d+)\/\1 healthy/);
  });
});
