/**
 * The stack a run-type command works on: the running one, or an ephemeral one
 * started for it (removed afterwards unless --keep-up). Ctrl-C (or SIGTERM)
 * stops the work, which rolls back and waits until healed services are healthy;
 * a second one stops that wait; a third exits at once. Everything is checked
 * against the stack's topology before anything starts.
 */
import chalk from 'chalk';
import { EventflowError, InfrastructureError } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { defaultTopologyNames, topologyNamesOf, type TopologyNames } from '../scenario/topology-names.js';
import type { ProgressEvent, StackHandle } from '../stack/types.js';

export interface StackChoice {
  stack?: string;
  images?: 'official' | 'offline';
  nodes?: number;
  keepUp?: boolean;
}

export interface StackSession {
  stack: StackHandle;
  ephemeral: boolean;
  /** Aborted by the first Ctrl-C / SIGTERM: stop and roll back. */
  signal: AbortSignal;
  /** Aborted by the second: heal, but do not wait for healed services to be healthy. */
  recoverySignal: AbortSignal;
}

/**
 * `prepare` sees the topology of the stack the work will run on (the running
 * one, or the default one of `nodes` api nodes) and may throw a UsageError:
 * nothing has started then. `run` returns the exit code; the process exits
 * with it once the ephemeral stack is gone and the output flushed.
 */
export async function withStack<T>(
  choice: StackChoice,
  out: (line: string) => void,
  prepare: (topology: TopologyNames) => T | Promise<T>,
  run: (session: StackSession, prepared: T) => Promise<number>,
): Promise<void> {
  const stackMod = await import('../stack/stack.js');
  let stack: StackHandle | undefined;
  try {
    stack = await stackMod.openStack(choice.stack);
  } catch (e) {
    throw e instanceof EventflowError ? e : new InfrastructureError(`cannot reach the Docker engine: ${(e as Error).message}`);
  }
  const ephemeral = !stack;
  const prepared = await prepare(stack ? topologyNamesOf(stack) : defaultTopologyNames(choice.nodes ?? 3));

  const { signal, recoverySignal, dispose } = interruptSignals();
  let exitCode: number | undefined;
  try {
    if (!stack) stack = await startEphemeral(stackMod, choice, out);
    exitCode = await run({ stack, ephemeral, signal, recoverySignal }, prepared);
  } finally {
    dispose();
    if (ephemeral && stack && !choice.keepUp) {
      out(chalk.dim('removing the ephemeral stack…'));
      await stackMod.stopStack(stack.id).catch((e: Error) => process.stderr.write(`warning: could not remove the ephemeral stack: ${e.message}\n`));
    }
  }
  // Idle keep-alive sockets (Docker API, broker) would hold the process for seconds: flush, then exit.
  await new Promise<void>((done) => process.stdout.write('', () => done()));
  await new Promise<void>((done) => process.stderr.write('', () => done()));
  process.exit(exitCode);
}

/** Ctrl-C / SIGTERM: stop and roll back · again: heal, but stop waiting for health · a third time: exit at once. */
function interruptSignals(): { signal: AbortSignal; recoverySignal: AbortSignal; dispose: () => void } {
  const stop = new AbortController();
  const recovery = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts++;
    if (interrupts > 2) {
      process.stderr.write('interrupted three times: exiting without finishing the rollback\n');
      process.exit(ExitCode.Interrupted);
    }
    if (interrupts === 2) {
      process.stderr.write(chalk.yellow('interrupted again: not waiting for healed services to be healthy (Ctrl-C again to exit at once)…\n'));
      recovery.abort();
      return;
    }
    process.stderr.write(chalk.yellow('\ninterrupted: stopping load and rolling back, then waiting until healed services are healthy (Ctrl-C again to skip the wait)…\n'));
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    recoverySignal: recovery.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

async function startEphemeral(stackMod: typeof import('../stack/stack.js'), choice: StackChoice, out: (line: string) => void): Promise<StackHandle> {
  out(chalk.dim(`no stack "${choice.stack ?? process.env.EVENTFLOW_STACK ?? 'default'}" is running: starting an ephemeral one${choice.keepUp ? ' (kept afterwards: --keep-up)' : ' (removed afterwards)'}…`));
  const started = Date.now();
  try {
    const stack = await stackMod.startStack({
      stackId: choice.stack,
      nodes: choice.nodes,
      imageSet: choice.images,
      onProgress: (e: ProgressEvent) => {
        if (e.phase === 'healthy' || e.phase === 'failed' || e.phase === 'info' || e.phase === 'skipped') out(chalk.dim(`  [stack +${(e.elapsedMs / 1000).toFixed(1)}s] ${e.service}: ${e.phase}${e.detail ? ` — ${e.detail}` : ''}`));
      },
    });
    out(chalk.dim(`stack up in ${((Date.now() - started) / 1000).toFixed(1)}s`));
    return stack;
  } catch (e) {
    throw e instanceof EventflowError ? e : new InfrastructureError(`the stack did not start: ${(e as Error).message}`);
  }
}
