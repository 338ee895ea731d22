/**
 * The examples users copy must run: every `eventflow …` command in
 * .github/workflows/*.yml and README.md goes through the CLI's own argument and
 * scenario-parameter validation (test/support/cli-parse-only.ts: nothing starts).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from './package.js';
import { eventflowInvocations, markdownExamples, matrixCombinations, shellWords, workflowExamples, type CliExample } from '../test/support/cli-examples.js';
import { usageErrorOf } from '../test/support/cli-parse-only.js';

const root = packageRoot();
const workflowDir = join(root, '.github', 'workflows');
const workflows = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f));

function examples(): CliExample[] {
  return [...workflows.flatMap((f) => workflowExamples(join(workflowDir, f))), ...markdownExamples(join(root, 'README.md'))].map((e) => ({
    ...e,
    where: e.where.replace(`${root}/`, ''),
  }));
}

describe('extracting commands', () => {
  it('splits shell words, chains and for loops', () => {
    expect(shellWords(`a "b c" 'd e' f\\ g`)).toEqual(['a', 'b c', 'd e', 'f g']);
    expect(eventflowInvocations('bash scripts/setup.sh && npx eventflow up && npx eventflow scenario db-outage --purchases 5')).toEqual([
      ['up'],
      ['scenario', 'db-outage', '--purchases', '5'],
    ]);
    expect(eventflowInvocations('for s in api-1 nginx; do node bin/eventflow.js logs $s --tail 100 || true; done')).toEqual([
      ['logs', 'api-1', '--tail', '100'],
      ['logs', 'nginx', '--tail', '100'],
    ]);
  });

  it('expands a matrix with include entries the way GitHub Actions does', () => {
    expect(matrixCombinations({ scenario: ['a', 'b'], include: [{ scenario: 'a', args: '--x' }, { scenario: 'c' }] })).toEqual([
      { scenario: 'a', args: '--x' },
      { scenario: 'b' },
      { scenario: 'c' },
    ]);
    expect(matrixCombinations({ include: [{ scenario: 'a', args: '--x' }, { scenario: 'b' }] })).toEqual([{ scenario: 'a', args: '--x' }, { scenario: 'b' }]);
  });

  it('reads the CLI reference table as synopses, not commands, and shell blocks as commands', () => {
    const md = ['| `eventflow up [--nodes N]` | x |', '```sh', 'npx eventflow status --json', '```', 'run `npx eventflow down` then'].join('\n');
    expect(markdownExamples('x.md', md).map((e) => e.argv)).toEqual([['status', '--json'], ['down']]);
  });

  it('finds the examples (workflow matrix entries and README commands)', () => {
    const all = examples();
    expect(all.filter((e) => e.where.startsWith('.github/')).length).toBeGreaterThanOrEqual(8);
    expect(all.filter((e) => e.where.startsWith('README.md')).length).toBeGreaterThanOrEqual(5);
    expect(all.some((e) => e.argv[0] === 'scenario' && e.argv[1] === 'node-kill')).toBe(true);
  });
});

describe('the validation the examples go through', () => {
  // The mistake the CI example once made: node-kill has no "purchases" parameter.
  it('rejects a parameter the scenario does not declare', async () => {
    expect(await usageErrorOf(['scenario', 'node-kill', '--purchases', '5', '--report-dir', 'reports/runs'])).toMatch(/purchases/);
  });
  it('rejects an unknown flag, a bad choice, an unknown scenario and an unknown command', async () => {
    expect(await usageErrorOf(['up', '--imagez', 'offline'])).toMatch(/unknown option/);
    expect(await usageErrorOf(['up', '--images', 'cloud'])).toMatch(/cloud/);
    expect(await usageErrorOf(['scenario', 'no-such-scenario'])).toMatch(/no scenario/);
    expect(await usageErrorOf(['frobnicate'])).toMatch(/unknown command/);
  });
  it('accepts a valid scenario invocation without starting anything', async () => {
    expect(await usageErrorOf(['scenario', 'db-outage', '--purchases', '5'])).toBeUndefined();
    expect(await usageErrorOf(['scenario', 'node-kill', '--set', 'rate=10', '--set', 'duration=4s'])).toBeUndefined();
  });
});

describe('every eventflow command in the workflows and the README is valid', () => {
  it.each(examples().map((e) => [`${e.where}: eventflow ${e.argv.join(' ')}`, e] as const))('%s', async (_name, e) => {
    expect(await usageErrorOf(e.argv)).toBeUndefined();
  });
});
