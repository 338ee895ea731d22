/**
 * The dead-letter queue as an operator sees it: list what is there (and why), replay chosen messages to the
 * purchase queue once their cause is fixed. Used by `eventflow dlq list|replay` (cli/commands/dlq.ts).
 * Replaying is safe at any time: the notifier persists a message at most once (idempotency key + order id).
 */
import amqp, { type ConfirmChannel, type GetMessage } from 'amqplib';
import { assertTopology } from './broker.js';
import { ATTEMPTS_HEADER, DEAD_QUEUE, decodeMessage, PUBLISH_OPTIONS_BASE, QUEUE, REASON_HEADER } from './message.js';

export const DETAIL_HEADER = 'x-eventflow-detail';
export const REPLAYED_HEADER = 'x-eventflow-replayed';

export interface DeadLetter {
  messageId: string;
  reason: string;
  detail: string;
  /** from the body when it is a valid purchase message */
  orderId?: string;
  idempotencyKey?: string;
  eventId?: number;
  /** how many times it was replayed already */
  replays: number;
}

/** Upper bound of messages looked at in one call (the queue is drained into memory and requeued). */
export const DEAD_LETTER_SCAN_LIMIT = 10_000;

function describe(msg: GetMessage): DeadLetter {
  const headers = msg.properties.headers ?? {};
  const decoded = decodeMessage(msg.content);
  const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : String(v));
  return {
    messageId: str(msg.properties.messageId),
    reason: str(headers[REASON_HEADER]) || 'unknown',
    detail: str(headers[DETAIL_HEADER]),
    ...(decoded.ok ? { orderId: decoded.message.orderId, idempotencyKey: decoded.message.idempotencyKey, eventId: decoded.message.eventId } : {}),
    replays: Number(headers[REPLAYED_HEADER] ?? 0) || 0,
  };
}

/** Take every message of the dead-letter queue (unacked, bounded), run `use`, then requeue what `use` did not settle. */
async function withDeadLetters<T>(amqpUrl: string, use: (ch: ConfirmChannel, messages: GetMessage[]) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(amqpUrl, { timeout: 5000 });
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    await assertTopology(ch);
    const messages: GetMessage[] = [];
    for (let i = 0; i < DEAD_LETTER_SCAN_LIMIT; i++) {
      const msg = await ch.get(DEAD_QUEUE, { noAck: false });
      if (msg === false) break;
      messages.push(msg);
    }
    try {
      return await use(ch, messages);
    } finally {
      // closing the channel requeues every delivery still unacked, in its original order
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** The dead letters, oldest first (nothing is removed). */
export async function listDeadLetters(amqpUrl: string): Promise<DeadLetter[]> {
  return withDeadLetters(amqpUrl, async (_ch, messages) => messages.map(describe));
}

export interface ReplayResult {
  /** message ids republished to the purchase queue (and removed from the dead-letter queue) */
  replayed: string[];
  /** asked for but not in the dead-letter queue */
  notFound: string[];
}

/**
 * Republish dead letters to the purchase queue with their attempts reset, then remove them from the
 * dead-letter queue (after the broker confirmed the republish: a failure leaves them dead-lettered).
 * `messageIds` absent: every dead letter whose body is a valid purchase message.
 */
export async function replayDeadLetters(amqpUrl: string, opts: { messageIds?: readonly string[] } = {}): Promise<ReplayResult> {
  return withDeadLetters(amqpUrl, async (ch, messages) => {
    const wanted = opts.messageIds ? new Set(opts.messageIds) : undefined;
    const replayed: string[] = [];
    for (const msg of messages) {
      const letter = describe(msg);
      if (wanted ? !wanted.has(letter.messageId) : letter.orderId === undefined) continue;
      const { [REASON_HEADER]: _reason, [DETAIL_HEADER]: _detail, ...headers } = msg.properties.headers ?? {};
      ch.sendToQueue(QUEUE, msg.content, {
        ...PUBLISH_OPTIONS_BASE,
        messageId: letter.messageId,
        headers: { ...headers, [ATTEMPTS_HEADER]: 0, [REPLAYED_HEADER]: letter.replays + 1 },
      });
      await ch.waitForConfirms();
      ch.ack(msg);
      replayed.push(letter.messageId);
    }
    const notFound = opts.messageIds ? opts.messageIds.filter((id) => !replayed.includes(id)) : [];
    return { replayed, notFound };
  });
}
