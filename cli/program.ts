/** The `eventflow` commander program: every command, registered once (cli/main.ts runs it; tests parse with it). */
import { Command } from 'commander';
import { eventflowVersion } from './package.js';
import { registerStackCommands } from './commands/stack.js';
import { registerScenarioCommands } from './commands/scenario.js';
import { registerDlqCommand } from './commands/dlq.js';
import { registerImagesCommand } from './commands/images.js';
import { registerExploreCommand } from './commands/explore.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('eventflow')
    .description('Bring the EventFlow stack up, break it on purpose, prove nothing was lost.')
    .version(eventflowVersion())
    .showHelpAfterError('(run "eventflow --help" for usage)')
    .exitOverride();
  registerStackCommands(program);
  registerScenarioCommands(program);
  registerExploreCommand(program);
  registerDlqCommand(program);
  registerImagesCommand(program);
  program.addHelpText(
    'after',
    `
Exit codes:
  0    pass
  1    a scenario check failed
  2    usage or scenario-file error
  3    infrastructure error (no Docker engine, a service that will not start)
  130  interrupted`,
  );
  return program;
}
