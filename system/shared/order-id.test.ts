import { describe, expect, it } from 'vitest';
import { orderIdFor, uuidV5 } from './order-id.js';

describe('order ids from idempotency keys', () => {
  it('computes RFC 9562 version-5 UUIDs (published test vector)', () => {
    // RFC 9562 appendix A.4: "www.example.com" in the DNS namespace
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives one id per key, a different one for another key', () => {
    const a = orderIdFor('load-run:7:123456');
    expect(orderIdFor('load-run:7:123456')).toBe(a);
    expect(orderIdFor('load-run:7:123457')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('names a malformed namespace', () => {
    expect(() => uuidV5('x', 'not-a-uuid')).toThrow(/namespace "not-a-uuid" is not a UUID/);
  });
});
