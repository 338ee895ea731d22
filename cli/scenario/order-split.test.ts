import { describe, expect, it } from 'vitest';
import { orderSplit } from './order-split.js';

const row = (key: string, status: string) => ({ id: `${key}-${status}`, idempotencyKey: key, eventId: 1, quantity: 1, status });

describe('orderSplit', () => {
  it('counts each key of this run once by its final status', () => {
    const rows = [row('r-1', 'CONFIRMED'), row('r-2', 'REJECTED'), row('r-3', 'REJECTED'), row('r-4', 'PENDING'), row('other-1', 'CONFIRMED'), row('r-5', 'CONFIRMED'), row('r-5', 'REJECTED')];
    expect(orderSplit(rows, 'r-')).toEqual({ confirmed: 2, rejected: 2, pending: 1 });
    expect(orderSplit([], 'r-')).toEqual({ confirmed: 0, rejected: 0, pending: 0 });
  });

  it('counts keyless orders of this run by their e-mail tag', () => {
    const keyless = { id: 'k1', idempotencyKey: 'rid-abc', eventId: 1, quantity: 1, status: 'CONFIRMED', email: 'scenario+r-7@eventflow.test' };
    const stranger = { ...keyless, id: 'k2', idempotencyKey: 'gen-xyz', email: 'someone@example.com' };
    expect(orderSplit([keyless, stranger], 'r-')).toEqual({ confirmed: 1, rejected: 0, pending: 0 });
  });
});
