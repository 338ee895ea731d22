import { randomUUID } from 'node:crypto';
import { validationError } from '../shared/errors.js';
import { IDEMPOTENCY_KEY_RE } from '../shared/message.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Set by the gateway on every proxied request (NGINX `$request_id`); its retries of one request carry the same value. */
export const REQUEST_ID_HEADER = 'x-request-id';

export type KeySource = 'client' | 'request-id' | 'generated';

export function generateIdempotencyKey(): string {
  return `gen-${randomUUID()}`;
}

export function isValidIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY_RE.test(key);
}

/**
 * The request's idempotency key:
 * - the client's `Idempotency-Key` (a present but invalid key is a 400 here; the route's schema already
 *   answers 422 for a key outside the pattern. Node joins a repeated header into one value "a, b", which
 *   fails the pattern: a repeated Idempotency-Key is a 422);
 * - else `rid-<X-Request-Id>`: the gateway retries a keyless POST on another node with the same request id,
 *   so both attempts are one purchase (an X-Request-Id that would not make a valid key is ignored);
 * - else a generated key (a direct keyless call: every request is a new purchase).
 */
export function resolveIdempotencyKey(header: string | undefined, requestId?: string): { key: string; source: KeySource } {
  if (header !== undefined) {
    if (!isValidIdempotencyKey(header)) {
      throw validationError('Idempotency-Key must be 8..128 characters of [A-Za-z0-9_.:-]', 'Idempotency-Key', 400);
    }
    return { key: header, source: 'client' };
  }
  if (requestId !== undefined && isValidIdempotencyKey(`rid-${requestId}`)) return { key: `rid-${requestId}`, source: 'request-id' };
  return { key: generateIdempotencyKey(), source: 'generated' };
}
