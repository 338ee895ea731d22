import { createHash } from 'node:crypto';

/**
 * Order ids derive from the idempotency key (UUID version 5, RFC 9562 §5.5, in EventFlow's own namespace):
 * any node, at any time, with any dependency down, answers the same order id for the same key, and the
 * notifier persists the row under that id. A message published twice for one key is one order.
 */
export const ORDER_ID_NAMESPACE = '3f6b1c2e-8d4a-4f0b-9a57-6e2d1c8b4a90';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UUID version 5 (SHA-1 name-based) of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string): string {
  if (!UUID_RE.test(namespace)) throw new Error(`uuidV5: namespace "${namespace}" is not a UUID`);
  const bytes = createHash('sha1').update(Buffer.from(namespace.replace(/-/g, ''), 'hex')).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The order id of an idempotency key. */
export const orderIdFor = (idempotencyKey: string): string => uuidV5(idempotencyKey, ORDER_ID_NAMESPACE);
