/**
 * The CLI's entry point. Start-up stays cheap (`eventflow --help` loads commander, chalk and the
 * command definitions only): every action imports Docker, Testcontainers, the engine… when it runs.
 */
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { ExitCode } from './exit-codes.js';
import { eventflowVersion } from './package.js';
import { EventflowError } from './errors.js';
import { registerStackCommands } from './commands/stack.js';
import { registerScenarioCommands } from './commands/scenario.js';

// https://no-color.org: chalk honours FORCE_COLOR and --no-color but not NO_COLOR.
if (process.env.NO_COLOR) chalk.level = 0;

const program = new Command()
  .name('eventflow')
  .description('Bring the EventFlow stack up, break it on purpose, prove nothing was lost.')
  .version(eventflowVersion())
  .showHelpAfterError('(run "eventflow --help" for usage)')
  .exitOverride();

registerStackCommands(program);
registerScenarioCommands(program);

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

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // help and version are "errors" to commander but successes to the user.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') {
      return ExitCode.Pass;
    }
    return ExitCode.Usage;
  }
  if (error instanceof EventflowError) {
    process.stderr.write(`${chalk.red('error:')} ${error.message}\n`);
    if (error.hint) process.stderr.write(`${chalk.dim(error.hint)}\n`);
    return error.exitCode;
  }
  process.stderr.write(`${chalk.red('unexpected error:')} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return ExitCode.Infrastructure;
}
