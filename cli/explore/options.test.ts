import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { defaultTopologyNames } from '../scenario/topology-names.js';
import { batchVerdict } from './batch.js';
import { DEFAULT_EXPLORE_FAULT_KINDS, EXPLORE_FAULT_KINDS } from './fault-kinds.js';
import { checkExploreOptions, parseKinds, resolveTargets } from './options.js';

const topology = defaultTopologyNames(3);

describe('explore options', () => {
  it('fault kinds: all by default, a comma list, an unknown kind names the known ones', () => {
    expect(parseKinds(undefined)).toEqual([...DEFAULT_EXPLORE_FAULT_KINDS]);
    expect(parseKinds(EXPLORE_FAULT_KINDS.join(','))).toEqual([...EXPLORE_FAULT_KINDS]);
    expect(parseKinds('kill, pause,kill')).toEqual(['kill', 'pause']);
    expect(() => parseKinds('kill,frobnicate')).toThrow(UsageError);
    expect(() => parseKinds('kill,frobnicate')).toThrow(/unknown kind "frobnicate".*explore knows: kill, stop, pause, disconnect, restart, loss/);
    expect(() => parseKinds(',')).toThrow(/empty list/);
  });

  it('targets: the data path by default (not the gateway, analytics or monitoring); groups expand; whole groups allowed only when every member is', () => {
    const d = resolveTargets(undefined, topology);
    expect(d.targets).toEqual(['postgres', 'redis', 'rabbitmq', 'api-1', 'api-2', 'api-3', 'notifier']);
    expect(Object.keys(d.groups)).toEqual(['api']);
    const some = resolveTargets('api-1,api-2,postgres', topology);
    expect(some.targets).toEqual(['postgres', 'api-1', 'api-2']);
    expect(some.groups).toEqual({});
    expect(() => resolveTargets('postgres,mysql', topology)).toThrow(/unknown service or group "mysql" \(services: .*postgres/);
  });

  it('duration and seed: bounded, a random seed when none is given', () => {
    const raw = { duration: '20s', maxFaults: 3, rate: 10 };
    expect(checkExploreOptions({ ...raw, seed: 1 }, topology)).toMatchObject({ seed: 1, explore: { durationMs: 20_000, maxFaults: 3, rate: 10 } });
    expect(checkExploreOptions(raw, topology).seed).toEqual(expect.any(Number));
    expect(() => checkExploreOptions({ ...raw, duration: '2s' }, topology)).toThrow(/from 5s to 10m/);
    expect(() => checkExploreOptions({ ...raw, duration: 'soon' }, topology)).toThrow(/expected a duration/);
    expect(() => checkExploreOptions({ ...raw, seed: -1 }, topology)).toThrow(/--seed/);
  });
});

describe('batchVerdict (the exit code of a batch)', () => {
  const v = (...verdicts: ('pass' | 'fail' | 'error' | 'interrupted')[]) => verdicts.map((verdict) => ({ verdict }));
  it('interrupted beats all, a failed run beats one without a verdict, all passed is a pass, nothing run is an error', () => {
    expect(batchVerdict(v('pass', 'pass'), false)).toBe('pass');
    expect(batchVerdict(v('pass', 'error', 'fail'), false)).toBe('fail');
    expect(batchVerdict(v('pass', 'error'), false)).toBe('error');
    expect(batchVerdict(v('fail', 'interrupted'), false)).toBe('interrupted');
    expect(batchVerdict(v('pass'), true)).toBe('interrupted');
    expect(batchVerdict([], false)).toBe('error');
  });
});
