/** `eventflow dlq list | replay`: the purchase dead-letter queue of a running stack (system/shared/dead-letters.ts). */
import { Command, Option } from 'commander';
import { InfrastructureError } from '../errors.js';
import type { DeadLetter } from '../../system/shared/dead-letters.js';

// Docker and amqplib are imported when an action runs (the CLI starts lean).
const deadLetters = () => import('../../system/shared/dead-letters.js');

const stackOption = (): Option => new Option('--stack <id>', 'stack id').env('EVENTFLOW_STACK');

async function amqpUrlOf(stackId: string | undefined): Promise<string> {
  const { openStack } = await import('../stack/stack.js');
  const stack = await openStack(stackId);
  if (!stack) throw new InfrastructureError(`no running stack${stackId ? ` "${stackId}"` : ''}`, 'start one with: eventflow up');
  const { amqpUrl } = await stack.endpoints();
  if (!amqpUrl) throw new InfrastructureError(`stack "${stack.id}" publishes no AMQP port`, 'eventflow status shows its endpoints');
  return amqpUrl;
}

function line(d: DeadLetter): string {
  const order = d.orderId ? `order ${d.orderId} key ${d.idempotencyKey} event ${d.eventId}` : '(body is not a purchase message)';
  return `${d.messageId}  ${d.reason}  ${order}${d.replays ? `  replayed ${d.replays}×` : ''}${d.detail ? `\n    ${d.detail}` : ''}`;
}

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('list or replay dead-lettered purchases (eventflow.purchases.dead)');

  dlq
    .command('list')
    .description('list the dead letters with their reason (nothing is removed)')
    .addOption(stackOption())
    .option('--json', 'print JSON')
    .action(async (opts: { stack?: string; json?: boolean }) => {
      const letters = await (await deadLetters()).listDeadLetters(await amqpUrlOf(opts.stack));
      if (opts.json) process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
      else process.stdout.write(letters.length === 0 ? 'no dead letters\n' : `${letters.map(line).join('\n')}\n${letters.length} dead letter(s)\n`);
    });

  dlq
    .command('replay')
    .description('republish dead letters to the purchase queue (attempts reset); safe to repeat: one key is one order')
    .argument('[messageIds...]', 'message ids (= order ids) to replay; none: every dead letter that is a valid purchase message')
    .addOption(stackOption())
    .action(async (messageIds: string[], opts: { stack?: string }) => {
      const result = await (await deadLetters()).replayDeadLetters(await amqpUrlOf(opts.stack), messageIds.length > 0 ? { messageIds } : {});
      process.stdout.write(`replayed ${result.replayed.length}: ${result.replayed.join(' ') || '-'}\n`);
      if (result.notFound.length > 0) {
        process.stdout.write(`not in the dead-letter queue: ${result.notFound.join(' ')}\n`);
        process.exitCode = 1;
      }
    });
}
