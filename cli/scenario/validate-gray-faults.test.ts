import { describe, expect, it } from 'vitest';
import { formatDiagnostic, validateScenarioSource } from './validate.js';

const file = (steps: string): string => `version: 1
name: t
steps:
  - load: { purchases: 1 }
${steps}`;

function errorsOf(steps: string): string[] {
  const r = validateScenarioSource(file(steps), 'bad.yaml');
  if (r.ok) throw new Error('expected the file to be rejected');
  return r.errors.map(formatDiagnostic);
}

function accepts(steps: string): void {
  const r = validateScenarioSource(file(steps), 'good.yaml');
  expect(r.ok ? [] : r.errors.map(formatDiagnostic)).toEqual([]);
}

describe('validator: gray-fault steps', () => {
  it('accepts every kind with its documented parameters, and heal steps', () => {
    accepts(`  - { id: lossy, fault: loss, target: api-2, percent: 30, peer: postgres }
  - { fault: partition, target: api-2, peers: [postgres, cache], oneWay: true, duration: 5s }
  - { fault: bandwidth, target: notifier, rate: 1mbit, duration: 2s }
  - { fault: throttle, target: postgres, cpus: 0.2, duration: 10s }
  - { fault: db-lock, target: postgres, table: events, mode: EXCLUSIVE, duration: 3s }
  - { id: slow, fault: latency, target: db, latency: 200ms, jitter: 50ms }
  - { fault: timeout, target: redis, after: 1s, duration: 5s }
  - { fault: reset, target: rabbitmq, stream: upstream, duration: 2s }
  - heal: slow
  - heal: lossy
`);
  });

  it('a loss of 150 % → the percent field, with the allowed range', () => {
    expect(errorsOf('  - { fault: loss, target: api-2, percent: 150 }\n')).toEqual(['bad.yaml:5:44: loss percent must be in (0, 100], got 150']);
  });

  it('a partition naming an unknown service → that peer', () => {
    expect(errorsOf('  - fault: partition\n    target: api-2\n    peers: [postgres, postgress]\n')).toEqual([
      expect.stringMatching(/^bad\.yaml:7:23: unknown service or group "postgress" \(services: postgres, redis, rabbitmq, proxy, api-1/),
    ]);
  });

  it('a negative duration → the duration field', () => {
    expect(errorsOf('  - { fault: throttle, target: postgres, cpus: 0.5, duration: -5 }\n')).toEqual(['bad.yaml:5:63: duration: must be >= 0 (got number -5)']);
    expect(errorsOf('  - { fault: throttle, target: postgres, cpus: 0.5, duration: 0s }\n')).toEqual(['bad.yaml:5:63: duration must be more than 0 (got "0s")']);
  });

  it('missing and misplaced parameters', () => {
    expect(errorsOf('  - { fault: db-lock, target: postgres, table: events }\n')).toEqual(['bad.yaml:5:5: fault db-lock needs "duration"']);
    expect(errorsOf('  - { fault: loss, target: api-1, rate: 1mbit, percent: 5 }\n')).toEqual(['bad.yaml:5:41: "rate" does not apply to fault loss (it takes: percent, peer, duration)']);
    expect(errorsOf('  - { fault: kill, target: api-1, percent: 5 }\n')).toEqual(['bad.yaml:5:44: "percent" is a gray-fault parameter: it does not apply to fault kill']);
  });

  it('proxy faults act on a dependency only', () => {
    expect(errorsOf('  - { fault: latency, target: api-1, latency: 100ms }\n')).toEqual([
      "bad.yaml:5:31: latency acts on a dependency's connections through the fault proxy: target postgres, redis, rabbitmq (not api-1)",
    ]);
  });

  it('heal names an earlier gray-fault step; rollback cannot apply gray faults', () => {
    expect(errorsOf('  - { id: k, fault: kill, target: api-1 }\n  - heal: k\n  - heal: nope\n')).toEqual([
      expect.stringMatching(/^bad\.yaml:6:11: heal "k": that step is not a gray fault/),
      'bad.yaml:7:11: heal "nope": no earlier step has this id',
    ]);
    const r = validateScenarioSource(`${file('')}rollback:\n  - { fault: loss, target: api-1, percent: 5 }\n`, 'bad.yaml');
    expect(r.ok ? [] : r.errors.map(formatDiagnostic)).toEqual([expect.stringMatching(/^bad\.yaml:6:14: a rollback step cannot apply loss/)]);
  });
});
