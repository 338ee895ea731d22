import { describe, expect, it } from 'vitest';
import { attemptsOf, decodeMessage, encodeMessage, retryDelayMs, type PurchaseMessage } from './message.js';

const good: PurchaseMessage = {
  v: 1,
  orderId: '0b7e6a52-5c1d-4b0e-9a39-0f7d2a1c9e11',
  idempotencyKey: 'key-12345678',
  eventId: 1,
  quantity: 2,
  buyerEmail: 'ana@example.com',
  totalCents: 9270,
  nodeId: 'api-1',
  acceptedAt: '2026-01-02T03:04:05.678Z',
};

describe('purchase message format', () => {
  it('round-trips', () => {
    const decoded = decodeMessage(encodeMessage(good));
    expect(decoded).toEqual({ ok: true, message: good });
  });

  it('encodes exactly the contract fields', () => {
    expect(Object.keys(JSON.parse(encodeMessage(good).toString()) as object).sort()).toEqual(
      ['acceptedAt', 'buyerEmail', 'eventId', 'idempotencyKey', 'nodeId', 'orderId', 'quantity', 'totalCents', 'v'].sort(),
    );
  });

  it('refuses to encode an invalid message', () => {
    expect(() => encodeMessage({ ...good, quantity: 0 })).toThrow();
  });

  it('flags invalid JSON', () => {
    const r = decodeMessage(Buffer.from('{"v":1,'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('invalid_json');
  });

  it.each([
    ['wrong version', { ...good, v: 2 }, 'v'],
    ['missing order id', { ...good, orderId: undefined }, 'orderId'],
    ['non-uuid order id', { ...good, orderId: 'x' }, 'orderId'],
    ['string quantity', { ...good, quantity: '2' }, 'quantity'],
    ['too many tickets', { ...good, quantity: 11 }, 'quantity'],
    ['negative total', { ...good, totalCents: -1 }, 'totalCents'],
    ['bad date', { ...good, acceptedAt: 'yesterday' }, 'acceptedAt'],
    ['extra field', { ...good, admin: true }, ''],
  ])('flags a schema violation: %s', (_name, body, path) => {
    const r = decodeMessage(Buffer.from(JSON.stringify(body)));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe('invalid_schema');
      expect(r.detail).toContain(path);
    }
  });

  it('flags non-object JSON', () => {
    for (const raw of ['null', '[]', '42', '"x"']) expect(decodeMessage(Buffer.from(raw)).ok).toBe(false);
  });

  it('reads the attempts header defensively', () => {
    expect(attemptsOf(undefined)).toBe(0);
    expect(attemptsOf({ 'x-attempts': 3 })).toBe(3);
    expect(attemptsOf({ 'x-attempts': '4' })).toBe(4);
    expect(attemptsOf({ 'x-attempts': 'junk' })).toBe(0);
    expect(attemptsOf({ 'x-attempts': -2 })).toBe(0);
  });

  it('backs off exponentially with a cap', () => {
    expect(retryDelayMs(1)).toBe(200);
    expect(retryDelayMs(2)).toBe(400);
    expect(retryDelayMs(3)).toBe(800);
    expect(retryDelayMs(20)).toBe(10_000);
  });
});
