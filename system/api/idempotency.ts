import { randomUUID } from 'node:crypto';
import { validationError } from '../shared/errors.js';
import { IDEMPOTENCY_KEY_RE } from '../shared/message.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function generateIdempotencyKey(): string {
  return `gen-${randomUUID()}`;
}

export function isValidIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY_RE.test(key);
}

/**
 * The request's key, or a generated one when the header is absent. A present but invalid key is a 400 (the
 * route's schema already answers 422 for a key outside the pattern; this guards direct callers). Node joins a
 * repeated header into one value ("a, b"), which fails the pattern: a repeated Idempotency-Key is a 422.
 */
export function resolveIdempotencyKey(header: string | undefined): { key: string; generated: boolean } {
  if (header === undefined) return { key: generateIdempotencyKey(), generated: true };
  if (!isValidIdempotencyKey(header)) {
    throw validationError('Idempotency-Key must be 8..128 characters of [A-Za-z0-9_.:-]', 'Idempotency-Key', 400);
  }
  return { key: header, generated: false };
}
