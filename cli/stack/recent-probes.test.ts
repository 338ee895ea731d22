import { describe, expect, it } from 'vitest';
import { RecentProbes } from './recent-probes.js';

const container = (id: string, startedAt: string) => ({ Id: id, State: { StartedAt: startedAt } });

describe('RecentProbes', () => {
  it('reuses a pass for the same container, in the same life, for one second', () => {
    let now = 0;
    const probes = new RecentProbes(() => now);
    const pg = container('a', '2026-01-01T00:00:00Z');
    expect(probes.passedRecently(pg)).toBe(false);
    probes.record(pg, true, probes.begin());
    now = 1_000;
    expect(probes.passedRecently(pg)).toBe(true);
    now = 1_001;
    expect(probes.passedRecently(pg)).toBe(false);
  });

  it('does not reuse it for a restarted container or another one', () => {
    const probes = new RecentProbes(() => 0);
    probes.record(container('a', 't1'), true, probes.begin());
    expect(probes.passedRecently(container('a', 't2'))).toBe(false);
    expect(probes.passedRecently(container('b', 't1'))).toBe(false);
  });

  it('forgets it after a failed check, and after a fault', () => {
    const probes = new RecentProbes(() => 0);
    const pg = container('a', 't1');
    probes.record(pg, true, probes.begin());
    probes.record(pg, false, probes.begin());
    expect(probes.passedRecently(pg)).toBe(false);
    probes.record(pg, true, probes.begin());
    probes.forget();
    expect(probes.passedRecently(pg)).toBe(false);
  });

  it('ignores a pass of a check that began before a fault', () => {
    const probes = new RecentProbes(() => 0);
    const pg = container('a', 't1');
    const began = probes.begin();
    probes.forget();
    probes.record(pg, true, began);
    expect(probes.passedRecently(pg)).toBe(false);
  });

  it('dates a pass from when its check began', () => {
    let now = 0;
    const probes = new RecentProbes(() => now);
    const pg = container('a', 't1');
    const began = probes.begin();
    now = 600;
    probes.record(pg, true, began);
    now = 1_001;
    expect(probes.passedRecently(pg)).toBe(false);
  });
});
