import { describe, expect, it } from 'vitest';
import { builtinScenarioFiles } from './catalog.js';
import { defaultTopologyNames } from './topology-names.js';
import { formatDiagnostic, interpolate, validateScenarioFile, validateScenarioSource, type ValidateOptions } from './validate.js';

const GOOD = `version: 1
name: t
parameters:
  purchases: { type: integer, default: 5, min: 1 }
  wait: { type: duration, default: 2s }
steps:
  - id: kill-db
    fault: kill
    target: postgres
  - id: buy
    load: { purchases: "\${purchases}", concurrency: 2 }
  - sleep: "\${wait}"
verify:
  expect:
    - { step: buy, status: [ACCEPTED_ASYNC] }
`;

function errorsOf(src: string, options: ValidateOptions = {}): string[] {
  const r = validateScenarioSource(src, 'bad.yaml', options);
  if (r.ok) throw new Error('expected the file to be rejected');
  return r.errors.map(formatDiagnostic);
}

/** Replace one line of GOOD (1-based) to build a malformed variant. */
function withLine(n: number, text: string, base = GOOD): string {
  const lines = base.split('\n');
  lines[n - 1] = text;
  return lines.join('\n');
}

describe('validator: well-formed files', () => {
  it('accepts the sample and interpolates typed parameters', () => {
    const r = validateScenarioSource(GOOD, 'good.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.params).toEqual({ purchases: 5, wait: '2s' });
    expect(r.scenario.steps[1]).toMatchObject({ load: { purchases: 5 } });
    expect(r.scenario.steps[2]).toMatchObject({ sleep: '2s' });
  });

  it('applies overrides by type (--purchases 7, --set wait=500ms)', () => {
    const r = validateScenarioSource(GOOD, 'good.yaml', { overrides: { purchases: '7', wait: '500ms' } });
    expect(r.ok && r.scenario.steps[1]).toMatchObject({ load: { purchases: 7 } });
    expect(r.ok && r.params.wait).toBe('500ms');
  });

  it.each(builtinScenarioFiles().map((s) => [s.name, s.file]))('built-in %s is valid', async (_name, file) => {
    const r = await validateScenarioFile(file);
    if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
    expect(r.scenario.version).toBe(1);
  });
});

describe('validator: malformed files → file:line:col and the reason', () => {
  it('1. bad YAML syntax', () => {
    expect(errorsOf('version: 1\nname: t\nsteps:\n  - fault: kill\n    target: [postgres\n')).toEqual(['bad.yaml:6:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]']);
    expect(errorsOf('version: 1\nname: t\nname: u\nsteps: []\n')[0]).toMatch(/^bad\.yaml:3:1: YAML syntax error: .*[Uu]nique/);
  });

  it('2. unknown step kind', () => {
    expect(errorsOf(withLine(8, '    frobnicate: kill'))).toEqual(['bad.yaml:7:5: unknown step kind "frobnicate" (a step has one of: fault, load, wait, await-load, sleep, heal)']);
  });

  it('3. unknown fault action', () => {
    expect(errorsOf(withLine(8, '    fault: explode'))).toEqual(['bad.yaml:8:12: fault: "explode" is not one of "kill", "stop", "start", "restart", "pause", "unpause", "disconnect", "reconnect", "loss", "partition", "bandwidth", "throttle", "db-lock", "latency", "timeout", "reset"']);
  });

  it('4. unknown service (validated against the topology)', () => {
    const [e] = errorsOf(withLine(9, '    target: postgress'));
    expect(e).toMatch(/^bad\.yaml:9:13: unknown service or group "postgress" \(services: postgres, redis, rabbitmq, proxy, api-1, api-2, api-3/);
    // api-4 exists only in a 4-node topology
    expect(errorsOf(withLine(9, '    target: api-4'))[0]).toMatch(/^bad\.yaml:9:13: unknown service or group "api-4"/);
    expect(validateScenarioSource(withLine(9, '    target: api-4'), 'x.yaml', { topology: defaultTopologyNames(4) }).ok).toBe(true);
  });

  it('5. random target that is not a group', () => {
    expect(errorsOf(withLine(9, '    target: { random: apis }'))).toEqual([expect.stringMatching(/^bad\.yaml:9:13: random: "apis" is not a group/)]);
  });

  it('6. wrong type', () => {
    expect(errorsOf(withLine(11, '    load: { purchases: "${purchases}", concurrency: two }'))).toEqual(['bad.yaml:11:53: concurrency: expected a number, got "two"']);
    expect(errorsOf(withLine(1, 'version: "1"'))[0]).toBe('bad.yaml:1:10: unsupported format version "1" (this tool reads version: 1)');
  });

  it('7. missing required fields', () => {
    expect(errorsOf(withLine(9, '    id2: x'))).toEqual(['bad.yaml:7:5: missing required field "target"', 'bad.yaml:9:5: unknown field "id2" in steps[0]']);
    expect(errorsOf('version: 1\nname: t\n')).toEqual(['bad.yaml:1:1: missing required field "steps"']);
  });

  it('8. negative counts', () => {
    expect(errorsOf(withLine(11, '    load: { purchases: -3 }'))).toEqual(['bad.yaml:11:24: purchases: must be >= 0 (got number -3)']);
  });

  it('9. unknown parameter, in the file and on the command line', () => {
    expect(errorsOf(withLine(11, '    load: { purchases: "${purchase}" }'))).toEqual(['bad.yaml:11:24: unknown parameter "${purchase}" (declared: purchases, wait)']);
    expect(errorsOf(GOOD, { overrides: { purchase: '3' } })).toEqual(['bad.yaml:1:1: unknown parameter "purchase" given on the command line (this scenario declares: purchases, wait)']);
  });

  it('10. a parameter value of the wrong type or out of range', () => {
    expect(errorsOf(GOOD, { overrides: { purchases: 'many' } })).toEqual(['bad.yaml:1:1: parameter "purchases" = "many": expected integer']);
    expect(errorsOf(GOOD, { overrides: { purchases: '0' } })).toEqual(['bad.yaml:1:1: parameter "purchases" = "0": must be >= 1 (got 0)']);
    expect(errorsOf(withLine(4, '  purchases: { type: integer, default: 2.5 }'))).toEqual([
      'bad.yaml:4:40: parameter "purchases": default expected an integer, got number 2.5',
      'bad.yaml:11:24: parameter "purchases" has an invalid default',
    ]);
  });

  it('11. unknown field (a typo)', () => {
    expect(errorsOf(withLine(11, '    load: { purchases: 1, concurency: 2 }'))).toEqual(['bad.yaml:11:27: unknown field "concurency" in load']);
  });

  it('12. bad duration', () => {
    expect(errorsOf(withLine(12, '  - sleep: 10x'))).toEqual(['bad.yaml:12:12: sleep: "10x" is not a duration like 500ms, 10s or 2m']);
  });

  it('13. references to steps that do not exist', () => {
    expect(errorsOf(withLine(15, '    - { step: bye, status: [ACCEPTED_ASYNC] }'))).toEqual(['bad.yaml:15:15: expect: no load step has id "bye" (load step ids: buy)']);
    expect(errorsOf(withLine(12, '  - await-load: buy'))).toEqual(['bad.yaml:12:17: await-load "buy": no earlier background load step has this id']);
  });

  it('14. unknown expected status, and an empty step list', () => {
    expect(errorsOf(withLine(15, '    - { step: buy, status: [ACCEPTED] }'))[0]).toMatch(/^bad\.yaml:15:29: status\[0\]: "ACCEPTED" is not one of "CONFIRMED", "ACCEPTED_ASYNC"/);
    expect(errorsOf('version: 1\nname: t\nsteps: []\n')).toEqual(['bad.yaml:3:8: steps: needs at least 1 item(s)']);
  });

  it('15. not a mapping at all', () => {
    expect(errorsOf('- just\n- a list\n')).toEqual(['bad.yaml:1:1: a scenario file must be a YAML mapping (version, name, steps, …)']);
  });

  it('16. client options of a load step: fractions, retry policy, options that need purchases', () => {
    // Line 11 of GOOD is the `buy` load step.
    expect(errorsOf(withLine(11, '    load: { purchases: 5, keyless: 1.5 }'))).toEqual(['bad.yaml:11:36: keyless: must be <= 1 (got number 1.5)']);
    expect(errorsOf(withLine(11, '    load: { purchases: 5, duplicate: -0.1 }'))).toEqual(['bad.yaml:11:38: duplicate: must be >= 0 (got number -0.1)']);
    expect(errorsOf(withLine(11, '    load: { reads: 5, keyless: 0.5 }'))).toEqual(['bad.yaml:11:32: "keyless" shapes purchases: this load step sends none']);
    expect(errorsOf(withLine(11, '    load: { purchases: 5, retry: { attempts: 0 } }'))).toEqual(['bad.yaml:11:46: attempts: must be >= 1 (got number 0)']);
    expect(errorsOf(withLine(11, '    load: { purchases: 5, retry: { attempts: 1, sameKey: false } }'))).toEqual([
      'bad.yaml:11:58: "sameKey" needs "attempts" of 2 or more (attempts count the first send)',
    ]);
    expect(errorsOf(withLine(11, '    load: { purchases: 5, retry: { attempts: 3, backof: 1s } }'))).toEqual(['bad.yaml:11:49: unknown field "backof" in retry']);
    expect(errorsOf(withLine(11, '    load: { purchases: 5, retry: { attempts: 3, backoff: soon } }'))[0]).toMatch(/^bad\.yaml:11:58: backoff: "soon" is not a duration/);
    const ok = validateScenarioSource(withLine(11, '    load: { purchases: 5, keyless: 0.2, duplicate: 0.1, timeout: 300ms, retry: { attempts: 3, backoff: 50ms, sameKey: false } }'), 'ok.yaml');
    expect(ok.ok && ok.scenario.steps[1]).toMatchObject({ load: { keyless: 0.2, duplicate: 0.1, retry: { attempts: 3, backoff: '50ms', sameKey: false } } });
  });

  it('reports several problems at once, in file order', () => {
    const src = withLine(11, '    load: { purchases: -1 }', withLine(8, '    fault: explode'));
    const errs = errorsOf(src);
    expect(errs.map((e) => e.split(':').slice(1, 3).join(':'))).toEqual(['8:12', '11:24']);
  });
});

describe('interpolate', () => {
  it('keeps the type of a whole-value reference and stringifies embedded ones', () => {
    const problems: string[] = [];
    const out = interpolate({ a: '${n}', b: 'x-${n}-${s}', c: ['${flag}'], parameters: { keep: '${n}' } }, [], (p, m) => problems.push(`${p.join('.')}: ${m}`), { n: 3, s: 'hi', flag: true });
    expect(out).toEqual({ a: 3, b: 'x-3-hi', c: [true], parameters: { keep: '${n}' } });
    expect(problems).toEqual([]);
  });
  it('reports unknown references with their path', () => {
    const problems: string[] = [];
    interpolate({ steps: [{ load: { purchases: '${nope}' } }] }, [], (p, m) => problems.push(`${p.join('.')}: ${m}`), { n: 1 });
    expect(problems).toEqual(['steps.0.load.purchases: unknown parameter "${nope}" (declared: n)']);
  });
});
