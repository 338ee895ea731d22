import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors.js';
import { generateIdempotencyKey, isValidIdempotencyKey, resolveIdempotencyKey } from './idempotency.js';

describe('idempotency keys', () => {
  it('generates valid, unique keys when the header is absent', () => {
    const keys = Array.from({ length: 1000 }, () => resolveIdempotencyKey(undefined));
    expect(new Set(keys.map((k) => k.key)).size).toBe(1000);
    for (const k of keys) {
      expect(k.source).toBe('generated');
      expect(isValidIdempotencyKey(k.key)).toBe(true);
    }
    expect(isValidIdempotencyKey(generateIdempotencyKey())).toBe(true);
  });

  it('keeps a valid client key as is', () => {
    for (const key of ['abcdefgh', 'order:2024-01-01.42_x', 'A'.repeat(128), 'load-run:7:123456']) {
      expect(resolveIdempotencyKey(key)).toEqual({ key, source: 'client' });
      expect(resolveIdempotencyKey(key, '0123456789abcdef0123456789abcdef')).toEqual({ key, source: 'client' });
    }
  });

  it('without a client key, derives the key from the gateway\'s X-Request-Id (its retries carry the same one)', () => {
    const rid = '5f0c2b7e9a4d4c1b8e6f3a2d1c0b9a87';
    expect(resolveIdempotencyKey(undefined, rid)).toEqual({ key: `rid-${rid}`, source: 'request-id' });
    expect(resolveIdempotencyKey(undefined, rid)).toEqual(resolveIdempotencyKey(undefined, rid));
  });

  it.each([
    ['repeated (joined by Node)', 'aaaa, bbbb'],
    ['too long', 'r'.repeat(200)],
    ['a slash', 'trace/1234'],
    ['empty', ''],
  ])('ignores an X-Request-Id that would not make a valid key (%s): a generated key instead', (_name, rid) => {
    expect(resolveIdempotencyKey(undefined, rid).source).toBe('generated');
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
