import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors.js';
import { generateIdempotencyKey, isValidIdempotencyKey, resolveIdempotencyKey } from './idempotency.js';

describe('idempotency keys', () => {
  it('generates valid, unique keys when the header is absent', () => {
    const keys = new Set(Array.from({ length: 1000 }, () => resolveIdempotencyKey(undefined)));
    expect(keys.size).toBe(1000);
    for (const k of keys) {
      expect(k.generated).toBe(true);
      expect(isValidIdempotencyKey(k.key)).toBe(true);
    }
    expect(isValidIdempotencyKey(generateIdempotencyKey())).toBe(true);
  });

  it('keeps a valid client key as is', () => {
    for (const key of ['abcdefgh', 'order:2024-01-01.42_x', 'A'.repeat(128), 'load-run:7:123456']) {
      expect(resolveIdempotencyKey(key)).toEqual({ key, generated: false });
    }
  });

  it.each([
    ['too short', 'abc'],
    ['too long', 'a'.repeat(129)],
    ['space', 'abc defgh'],
    ['slash', 'abcd/efgh'],
    ['quote', "abcd'efgh"],
    ['unicode', 'abcdéfgh'],
    ['empty', ''],
  ])('rejects a %s key with a 400 naming the header', (_name, key) => {
    try {
      resolveIdempotencyKey(key);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).statusCode).toBe(400);
      expect((err as AppError).field).toBe('Idempotency-Key');
    }
  });
});
