/**
 * The CLI's entry point. Start-up stays cheap (`eventflow --help` loads commander, chalk and the
 * command definitions only): every action imports Docker, Testcontainers, the engine… when it runs.
 */
import { CommanderError } from 'commander';
import chalk from 'chalk';
import { ExitCode } from './exit-codes.js';
import { EventflowError } from './errors.js';
import { buildProgram } from './program.js';

// https://no-color.org: chalk honours FORCE_COLOR and --no-color but not NO_COLOR.
if (process.env.NO_COLOR) chalk.level = 0;

const program = buildProgram();

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
