/**
 * Runs an `eventflow` command line through the CLI's real commander program,
 * in-process, without starting anything:
 * - every command stops after commander parsed and checked its arguments and
 *   options (unknown command or flag, a missing argument, a bad choice or value);
 * - `scenario` and `explore` go further, through their own actions, which validate the
 *   scenario and its parameters before it touches Docker; Docker is made
 *   unreachable (DOCKER_HOST on a closed loopback port), so an invocation that
 *   validates ends in an infrastructure error, never in a started stack.
 * The result is the usage error (exit 2) the CLI would print, or undefined.
 */
import { type Command, CommanderError } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventflowError } from '../../cli/errors.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { buildProgram } from '../../cli/program.js';

class ParsedOnly extends Error {}

/** Commands whose action validates its input before it reaches Docker. */
const VALIDATING_ACTIONS = new Set(['scenario', 'explore']);

export async function usageErrorOf(argv: string[]): Promise<string | undefined> {
  const program = buildProgram();
  let stderr = '';
  const silence = (c: Command): void => {
    c.configureOutput({ writeOut: () => {}, writeErr: (s) => (stderr += s) });
    c.commands.forEach(silence);
  };
  silence(program);
  program.hook('preAction', (_program, action) => {
    if (!VALIDATING_ACTIONS.has(action.name())) throw new ParsedOnly();
  });
  const saved = { DOCKER_HOST: process.env.DOCKER_HOST, EVENTFLOW_HOME: process.env.EVENTFLOW_HOME };
  const home = mkdtempSync(join(tmpdir(), 'eventflow-parse-only-'));
  process.env.DOCKER_HOST = 'tcp://127.0.0.1:9'; // discard port: connection refused at once
  process.env.EVENTFLOW_HOME = home;
  try {
    await program.parseAsync(argv, { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof ParsedOnly) return undefined;
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(error.code)) return undefined;
      return stderr.trim() || error.message;
    }
    if (error instanceof EventflowError) return error.exitCode === ExitCode.Usage ? error.message : undefined;
    throw error;
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(home, { recursive: true, force: true });
  }
}
