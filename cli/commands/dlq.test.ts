import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerDlqCommand } from './dlq.js';

describe('eventflow dlq', () => {
  it('registers list and replay (replay takes message ids)', () => {
    const program = new Command();
    registerDlqCommand(program);
    const dlq = program.commands.find((c) => c.name() === 'dlq');
    expect(dlq?.commands.map((c) => c.name())).toEqual(['list', 'replay']);
    const replay = dlq?.commands.find((c) => c.name() === 'replay');
    expect(replay?.registeredArguments.map((a) => [a.name(), a.variadic, a.required])).toEqual([['messageIds', true, false]]);
    expect(dlq?.commands.every((c) => c.options.some((o) => o.long === '--stack'))).toBe(true);
  });
});
