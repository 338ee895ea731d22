import { z } from 'zod';

/** Broker topology (see docs/architecture.md "Broker"). */
export const QUEUE = 'eventflow.purchases';
export const RETRY_QUEUE = 'eventflow.purchases.retry';
export const DEAD_QUEUE = 'eventflow.purchases.dead';
export const DLX = 'eventflow.dlx';
export const ATTEMPTS_HEADER = 'x-attempts';
export const REASON_HEADER = 'x-eventflow-reason';
export const MAX_ATTEMPTS = 10;

export const QUEUE_ARGS = { durable: true, arguments: { 'x-dead-letter-exchange': DLX } } as const;
export const RETRY_QUEUE_ARGS = {
  durable: true,
  arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': QUEUE },
} as const;

export const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_.:-]{8,128}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The purchase message, version 1. */
export const purchaseMessageSchema = z.strictObject({
  v: z.literal(1),
  orderId: z.string().regex(UUID_RE, 'must be a UUID'),
  idempotencyKey: z.string().regex(IDEMPOTENCY_KEY_RE, 'must be 8..128 chars [A-Za-z0-9_.:-]'),
  eventId: z.number().int().min(1).max(2_147_483_647),
  quantity: z.number().int().min(1).max(10),
  buyerEmail: z.string().min(3).max(254).includes('@'),
  totalCents: z.number().int().min(0).max(2_147_483_647),
  nodeId: z.string().min(1).max(64),
  acceptedAt: z.iso.datetime({ offset: true }),
});
export type PurchaseMessage = z.infer<typeof purchaseMessageSchema>;

export const PUBLISH_OPTIONS_BASE = { persistent: true, contentType: 'application/json' } as const;

export function encodeMessage(msg: PurchaseMessage): Buffer {
  return Buffer.from(JSON.stringify(purchaseMessageSchema.parse(msg)), 'utf8');
}

export type DecodeResult = { ok: true; message: PurchaseMessage } | { ok: false; reason: 'invalid_json' | 'invalid_schema'; detail: string };

/** Parse a delivery body; never throws. */
export function decodeMessage(content: Buffer): DecodeResult {
  let raw: unknown;
  try {
    raw = JSON.parse(content.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'invalid_json', detail: err instanceof Error ? err.message : 'unparseable' };
  }
  const result = purchaseMessageSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, reason: 'invalid_schema', detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, message: result.data };
}

/** Retry backoff for message-specific failures: 200 ms doubling, capped at 10 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(200 * 2 ** Math.max(0, attempt - 1), 10_000);
}

export function attemptsOf(headers: Record<string, unknown> | undefined): number {
  const value = headers?.[ATTEMPTS_HEADER];
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : 0;
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}
